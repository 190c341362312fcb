/**
 * Issue 13, items 1 and 3: what the issuer holds never names a holder's wallet, and one identity
 * registers several wallets under the same investor without telling the issuer.
 *
 * Real parts throughout: issuer-service in-process on a SQLite file, listening on 127.0.0.1 and
 * driven over HTTP by the SDK's Holder (derived keys, holder-keys.ts); the zkkyc contracts on
 * Hardhat's in-process chain with roots published through RegistryRootAnchor; real kycPolicy32
 * proofs. After the issuance the whole database is read back (every table, every row, every
 * column, as text — the Veramo key and DID tables included) and searched for the holder's wallet
 * addresses and public keys in every spelling we know, and every key it holds is turned into an
 * address. A one-key holder from before derived keys applies too, as the control: the same search
 * finds its wallet, so the search can see what it is looking for.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import './support/inject-shim.js';
import hre from 'hardhat';
// Type-only: brings in hardhat-ethers' `hre.ethers` augmentation (the plugin itself is loaded by the config).
import type {} from '@nomicfoundation/hardhat-ethers';
import Database from 'better-sqlite3';
import { SigningKey, Wallet, computeAddress, getBytes, hexlify } from 'ethers';
import { base58btc } from 'multiformats/bases/base58';
import { encodePolicy, todayInt } from '@zkkyc/credentials';
import { nodeProver, releaseProverThreads, type KycProver } from '@zkkyc/prover/node';
import {
  Holder,
  IssuerClient,
  RegistryRootAnchor,
  connectZkKyc,
  decodeRevert,
  deployZkKyc,
  newRootKey,
  readGatePolicy,
  type GatePolicy,
  type HeldCredential,
  type VerifiedPerson,
  type ZkKycContracts,
} from '@zkkyc/sdk';
import type { MerkleProof } from '@zkkyc/tree';
import { newPerson } from './support/people.js';
import { GOOD_ATTRIBUTES, REVIEWER_KEY, nextYear, startService, tempDir, testConfig } from './support/service.js';
import type { IssuerService } from '../src/issuer-service.js';

const ISSUER_ID = 1n;
const POLICY_ID = 1n;
const WALLETS_TRIED = 8; // derived wallet indices searched for (the holder uses 0 and 1)

const tmp = tempDir();
let service: IssuerService;
let issuer: IssuerClient;
let zk: ZkKycContracts;
let prover: KycProver;
let policy: GatePolicy;
let rootKey: string;
let holder: Holder;
let held: HeldCredential;
let path: MerkleProof;
let legacyWallet: Wallet;
/** Every table of the issuer's database after the issuance: name → rows as text. */
let dump: Map<string, string[]>;

const provider = () => hre.ethers.provider;

async function fund(address: string): Promise<void> {
  const [deployer] = await hre.ethers.getSigners();
  await (await deployer.sendTransaction({ to: address, value: 10n ** 18n })).wait();
}

/** Every spelling of a wallet we search the database for: address and public key. */
function spellingsOf(privateKey: string): string[] {
  const address = computeAddress(privateKey);
  const compressed = SigningKey.computePublicKey(privateKey, true);
  const uncompressed = SigningKey.computePublicKey(privateKey, false);
  const x = getBytes(compressed).slice(1);
  return [
    address.slice(2).toLowerCase(), // lower-case hex, no 0x (also catches 0x-prefixed and checksum spellings: the search is case-insensitive)
    address, // checksum, 0x
    address.slice(2), // checksum, no 0x
    compressed.slice(2).toLowerCase(),
    uncompressed.slice(2).toLowerCase(),
    uncompressed.slice(4).toLowerCase(), // raw x‖y
    base58btc.encode(Uint8Array.of(0xe7, 0x01, ...getBytes(compressed))), // the key as a secp256k1 did:key
    Buffer.from(x).toString('base64url'), // JWK x
    Buffer.from(x).toString('base64'),
  ];
}

/** A cell as text; a blob as hex, and as UTF-8 if it is text (JSON kept as bytes, say). */
function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Buffer.isBuffer(value)) return `${value.toString('hex')} ${value.toString('utf8')}`;
  return String(value);
}

function dumpDatabase(file: string): Map<string, string[]> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[];
    return new Map(
      tables.map(({ name }) => [
        name,
        (
          db
            .prepare(`SELECT * FROM "${name.replaceAll('"', '""')}"`)
            .raw()
            .all() as unknown[][]
        ).map((row) => row.map(cellText).join('\t')),
      ]),
    );
  } finally {
    db.close();
  }
}

/**
 * Every address the database's text can be turned into: each secp256k1 did:key in it, and each
 * hex string that parses as a secp256k1 public key (33 or 65 bytes), mapped to its Ethereum address.
 */
function addressesDerivableFrom(text: string): Set<string> {
  const found = new Set<string>();
  for (const [, multibase] of text.matchAll(/did:key:(z[1-9A-HJ-NP-Za-km-z]+)/g)) {
    const bytes = base58btc.decode(multibase);
    if (bytes[0] === 0xe7 && bytes[1] === 0x01) found.add(computeAddress(hexlify(bytes.slice(2))).toLowerCase());
  }
  for (const [hex] of text.matchAll(/(?<![0-9a-f])(?:0[23][0-9a-f]{64}|04[0-9a-f]{128})(?![0-9a-f])/gi)) {
    try {
      found.add(computeAddress(`0x${hex}`).toLowerCase());
    } catch {
      // Not a point on secp256k1 (an id, a hash): nothing to turn into an address.
    }
  }
  return found;
}

beforeAll(async () => {
  const [deployer, publisher] = await hre.ethers.getSigners();
  const deployment = await deployZkKyc(deployer, {
    verifier20: false,
    issuers: [{ issuerId: Number(ISSUER_ID), did: 'did:key:pending', publisher: publisher.address }],
    policies: [
      {
        policyId: Number(POLICY_ID),
        ...encodePolicy({ jurisdictions: ['FR', 'DE'], minAge: 18, investorClasses: ['professional-eu'], minKycLevel: 1 }),
        acceptedIssuers: [Number(ISSUER_ID)],
        ttl: 30 * 86400,
        maxWalletsPerInvestor: 2,
      },
    ],
  });
  zk = connectZkKyc(deployment, deployer);
  policy = await readGatePolicy(zk.complianceGate, POLICY_ID);
  const anchor = new RegistryRootAnchor(connectZkKyc(deployment, publisher).issuerRegistry, ISSUER_ID);
  service = await startService(testConfig(tmp.dbPath, { treeId: ISSUER_ID.toString(), holderRateLimitPerMinute: 1000 }), { anchor });
  issuer = new IssuerClient(await service.app.listen({ host: '127.0.0.1', port: 0 }));
  prover = await nodeProver('kycPolicy32');

  // The holder: a root secret, its first wallet funded (gas for its registration).
  rootKey = newRootKey();
  holder = await Holder.fromRootKey(rootKey, { provider: provider() });
  const application = await holder.apply(issuer, GOOD_ATTRIBUTES);
  const approved = await issuer.asReviewer(REVIEWER_KEY).approve(application.id, { expiryDate: nextYear(), person: newPerson() as VerifiedPerson, attributes: { kycLevel: 2 } });
  held = await holder.receive(issuer, approved.credentialId!, application.accessToken);
  await service.publisher!.publishNow();
  path = await holder.merklePath(issuer, held);

  // The control: a one-key holder from before, whose DID is its wallet key's did:key.
  legacyWallet = new Wallet(newRootKey());
  const legacy = await Holder.fromWallet(legacyWallet);
  const legacyApplication = await legacy.apply(issuer, GOOD_ATTRIBUTES);
  await issuer.asReviewer(REVIEWER_KEY).approve(legacyApplication.id, { expiryDate: nextYear(), person: newPerson() as VerifiedPerson, attributes: { kycLevel: 2 } });
}, 180_000);

afterAll(async () => {
  await service?.close();
  tmp.cleanup();
  await releaseProverThreads();
});

describe('holder privacy from the issuer (issue 13)', () => {
  it('registers the first wallet with a real proof; the issuer’s whole database names none of the holder’s wallets', async () => {
    const proof = await holder.prove(prover, held, path, policy, { today: todayInt(new Date((await provider().getBlock('latest'))!.timestamp * 1000)) });
    await fund(holder.address);
    await (await holder.register(zk.complianceGate, POLICY_ID, proof)).wait();
    expect(await zk.complianceGate.investorOf(POLICY_ID, holder.address)).not.toBe(0n);

    // Everything the issuer has, once it has stopped.
    await service.close();
    dump = dumpDatabase(tmp.dbPath);
    const tables = [...dump.keys()];
    expect(tables).toEqual(expect.arrayContaining(['applications', 'credentials', 'veramo_keys', 'veramo_private_keys', 'veramo_dids']));
    const text = [...dump.entries()].map(([name, rows]) => `${name}\n${rows.join('\n')}`).join('\n');
    const lower = text.toLowerCase();

    // The issuer does hold the holder's (pairwise) DID and identity commitment: the search sees them.
    const did = await holder.didFor(service.issuerDid);
    expect(text).toContain(did);
    expect(text).toContain(holder.identityCommitment.toString());

    const walletKeys = await Promise.all(Array.from({ length: WALLETS_TRIED }, async (_, i) => (await holder.withWallet(i)).signer.privateKey));
    const walletAddresses = walletKeys.map((k) => computeAddress(k).toLowerCase());
    expect(walletAddresses[0]).toBe(holder.address.toLowerCase());
    // No wallet, nor the root key (never used as a wallet, but it backs the identity), in any spelling.
    for (const key of [...walletKeys, rootKey]) {
      for (const spelling of spellingsOf(key)) {
        expect({ spelling, found: spelling === spelling.toLowerCase() ? lower.includes(spelling) : text.includes(spelling) }).toEqual({ spelling, found: false });
      }
    }
    // Nor can any key the database holds be turned into one of them.
    const derivable = addressesDerivableFrom(text);
    expect(derivable.size).toBeGreaterThan(0);
    for (const address of walletAddresses) expect(derivable.has(address)).toBe(false);

    // The control: the one-key holder's wallet is found both ways, so the search is not blind.
    expect(lower.includes(spellingsOf(legacyWallet.privateKey)[6].toLowerCase())).toBe(true);
    expect(derivable.has(legacyWallet.address.toLowerCase())).toBe(true);
  });

  it('registers a second wallet of the same identity under the same investor, with the issuer gone', async () => {
    // The issuer service was closed above: nothing below can reach it.
    const second = await holder.withWallet(1);
    expect(second.address).not.toBe(holder.address);
    await fund(second.address);
    const proof = await second.prove(prover, held, path, policy, { today: todayInt(new Date((await provider().getBlock('latest'))!.timestamp * 1000)) });
    await (await second.register(zk.complianceGate, POLICY_ID, proof)).wait();

    const gate = zk.complianceGate;
    const first = await gate.investorOf(POLICY_ID, holder.address);
    expect(first).not.toBe(0n);
    expect(await gate.investorOf(POLICY_ID, second.address)).toBe(first);
    expect(await gate.walletCount(POLICY_ID, first)).toBe(2n);
    expect(await gate.isVerified(POLICY_ID, holder.address)).toBe(true);
    expect(await gate.isVerified(POLICY_ID, second.address)).toBe(true);

    // The policy allows two wallets per investor: a third is refused by the gate, naming the limit.
    const third = await holder.withWallet(2);
    await fund(third.address);
    const thirdProof = await third.prove(prover, held, path, policy, { today: todayInt(new Date((await provider().getBlock('latest'))!.timestamp * 1000)) });
    const refusal = await third.register(gate, POLICY_ID, thirdProof).then(
      () => undefined,
      (error: unknown) => decodeRevert(error)?.name,
    );
    expect(refusal).toBe('TooManyWallets');
  });
});
