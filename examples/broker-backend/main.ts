/**
 * Runs the broker back end from the environment:
 *
 *   RPC_URL=http://127.0.0.1:8545 GATE=0x… POLICY_ID=1 AUDIENCE=https://broker.example \
 *     npx tsx examples/broker-backend/main.ts
 *
 * GATE + POLICY_ID: ask for that gate policy's rules and issuers (the registry is the gate's).
 * PORT (default 3100) and HOST (default 127.0.0.1) say where to listen.
 */
import { JsonRpcProvider } from 'ethers';
import { ComplianceGate__factory } from '@zkkyc/contracts/typechain';
import { loadVerificationKey, releaseProverThreads } from '@zkkyc/prover/node';
import { OffchainVerifier, presentationPolicyFromGate } from '@zkkyc/sdk';
import { buildBrokerBackend } from './server.js';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name}: must be set (see the comment at the top of main.ts)`);
  return value;
}

const provider = new JsonRpcProvider(required('RPC_URL'));
const chainId = Number((await provider.getNetwork()).chainId);
const gate = ComplianceGate__factory.connect(required('GATE'), provider);
const { policy, registry } = await presentationPolicyFromGate(gate, BigInt(required('POLICY_ID')));
const verifier = await OffchainVerifier.create({
  audience: required('AUDIENCE'),
  provider,
  chainId,
  registry,
  policy,
  verificationKeys: { 32: await loadVerificationKey('kycPolicy32'), 20: await loadVerificationKey('kycPolicy20') },
});
const app = buildBrokerBackend(verifier);
const address = await app.listen({ host: process.env.HOST ?? '127.0.0.1', port: Number(process.env.PORT ?? 3100) });
console.log(`broker back end on ${address}: GET /kyc/challenge, POST /kyc/presentation (${policy.label})`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    await app.close();
    provider.destroy();
    await releaseProverThreads(); // snarkjs's curve threads, started by the first verification
    process.exit(0);
  });
}
