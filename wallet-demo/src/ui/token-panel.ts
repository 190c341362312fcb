import { assertEscrowKey, checkPolicy, dateToInt, decodePolicy, intToDate, todayInt, ValidationError, type EncodedPolicy, type EscrowKey, type PolicyFailure } from '@zkkyc/credentials';
import type { KycProofRequest } from '@zkkyc/prover';
import { readTreeLeaf, type CredentialPath, type DeployedToken } from '@zkkyc/sdk';
import { ChainUnreachableError, isConnectionFailure } from '../chain/chain-connection.js';
import { DevOperator } from '../chain/dev-operator.js';
import { registerThroughRelayer, relayerShouldPay } from '../chain/relayer-registration.js';
import { explainRefusal, POLICY_CHANGED } from '../chain/refusal-reasons.js';
import type { OpenedCredential } from '../credentials/received-credential.js';
import { NotEligibleError, WorkerProver, type ProgressEvent } from '../proving/worker-prover.js';
import { WalletLockedError, type WalletSession } from '../wallet-session.js';
import { relayerAsked } from './connect-panel.js';
import { byId, el, focusResult, say, showNotice } from './dom.js';
import { startElapsedTimer } from './elapsed-timer.js';
import { estimatedFee } from './fee-estimate.js';
import { explainIssuerError } from './issuer-errors.js';
import {
  badEscrowKeyInWords,
  contractInWords,
  countryName,
  describePolicy,
  durationInWords,
  ESCROW_IN_WORDS,
  registrationState,
  shortAddress,
  timestampInWords,
  type RegistrationState,
} from './plain-words.js';
import { reviewBeforeSigning } from './review-dialog.js';

/** A policy as the gate holds it, with what the wallet needs to prove it. */
interface GatePolicyView extends EncodedPolicy {
  policyId: bigint;
  scope: bigint;
  acceptedIssuers: bigint[];
  ttl: bigint;
  /**
   * The policy's escrow key when the gate holds one (`escrowKeyOf` ≠ (0, 0)): registrations then
   * need the escrow variant's proof, which encrypts the credential's leaf index to it.
   */
  escrow?: { key: EscrowKey } | { invalid: { x: bigint; y: bigint; rule: string } };
}

/** The gate's escrow key for a policy (`escrowKeyOf`), checked by {@link checkedEscrowKey}. */
async function readEscrowKey(session: WalletSession, policyId: bigint): Promise<GatePolicyView['escrow']> {
  const { contracts } = await session.chain();
  const [x, y] = await contracts.complianceGate.escrowKeyOf(policyId);
  return checkedEscrowKey(x, y);
}

/**
 * An escrow key checked as the prover checks it (assertEscrowKey); (0, 0) is the gate's "no key". A
 * key that fails is kept with the rule it broke, so the wallet can refuse it before proving.
 */
function checkedEscrowKey(x: bigint, y: bigint): GatePolicyView['escrow'] {
  if (x === 0n && y === 0n) return undefined;
  try {
    const key: EscrowKey = [x, y];
    assertEscrowKey(key, 'escrowKey');
    return { key };
  } catch (err) {
    if (err instanceof ValidationError) return { invalid: { x, y, rule: err.rule } };
    throw err;
  }
}

/** The escrow key as the deployment file records it (decimal strings), checked the same way. */
function recordedEscrowKey(recorded: readonly [string, string] | undefined): GatePolicyView['escrow'] {
  if (!recorded) return undefined;
  try {
    return checkedEscrowKey(BigInt(recorded[0]), BigInt(recorded[1]));
  } catch {
    return { invalid: { x: 0n, y: 0n, rule: 'canonical' } };
  }
}

/** Reports a chain failure in words, raising the page notice when the node is down. */
export function explainChainError(err: unknown): string {
  if (err instanceof ChainUnreachableError || isConnectionFailure(err)) {
    showNotice(`Chain unreachable: the node at the configured RPC URL does not answer. Nothing was sent. (${(err as Error).message})`);
    return 'The chain cannot be reached right now.';
  }
  return explainRefusal(err).explanation;
}

const ROOT_WAIT_MS = 60_000;

/** What the guided flow needs to know after each check: is a token chosen, is it met, is the wallet verified for it. */
export interface TokenProgress {
  token?: DeployedToken;
  eligible: boolean;
  verified: boolean;
}

/**
 * Steps 3 and 4: choose a token, see its policy in plain words with each rule ticked or crossed
 * for the chosen credential, then prove in the worker, review and register the wallet at the gate.
 * A wallet already verified for the token is shown as such ("Verified until …"), and is offered
 * to renew rather than to prove again.
 */
export function mountTokenPanel(getSession: () => WalletSession | null, hooks: { onRegistered(token: DeployedToken): void; onProgress?(progress: TokenProgress): void }) {
  const form = byId<HTMLFormElement>('prove-form');
  const tokenSelect = byId<HTMLSelectElement>('token-select');
  const credentialSelect = byId<HTMLSelectElement>('prove-credential');
  const validUntilInput = byId<HTMLInputElement>('valid-until');
  const rulesList = byId('policy-rules');
  const escrowNotice = byId('escrow-notice');
  const proveButton = byId<HTMLButtonElement>('prove-button');
  const status = byId('prove-status');
  const progress = byId('prove-progress');
  const progressBar = byId<HTMLProgressElement>('prove-progress-bar');
  const stage = byId('prove-stage');
  const policies = new Map<string, GatePolicyView>();
  const registrationView = byId('registration-view');
  const ttlNote = byId('ttl-note');
  const prover = new WorkerProver(new URL('artifacts', document.baseURI).href.replace(/\/$/, ''));
  let busy = false;

  const selectedToken = (): DeployedToken | undefined => getSession()?.loaded.deployment.tokens.find((t) => t.address === tokenSelect.value);
  const selectedCredential = (): OpenedCredential | undefined => getSession()?.opened.get(credentialSelect.value);

  async function gatePolicy(session: WalletSession, policyId: string): Promise<GatePolicyView> {
    const cached = policies.get(policyId);
    if (cached) return cached;
    const { contracts } = await session.chain();
    const p = await contracts.complianceGate.policy(BigInt(policyId));
    if (!p.config.exists) throw new Error(`policy ${policyId} does not exist on the gate`);
    const view: GatePolicyView = {
      policyId: BigInt(policyId),
      scope: p.scope,
      jurisdictionMask: p.jurisdictionMask,
      minAge: Number(p.config.minAge),
      investorClassMask: Number(p.config.investorClassMask),
      minKycLevel: Number(p.config.minKycLevel),
      acceptedIssuers: [...p.acceptedIssuers],
      ttl: p.config.ttl,
      escrow: await readEscrowKey(session, BigInt(policyId)),
    };
    policies.set(policyId, view);
    return view;
  }

  function fillSelects(): void {
    const session = getSession();
    if (!session) return;
    if (tokenSelect.options.length === 0) {
      tokenSelect.append(el('option', { value: '' }, 'Choose a token…'));
      for (const t of session.loaded.deployment.tokens) tokenSelect.append(el('option', { value: t.address }, `${t.name} (${t.symbol})`));
    }
    const previous = credentialSelect.value;
    credentialSelect.replaceChildren(
      ...[...session.opened.values()].map((c, i) =>
        el(
          'option',
          { value: c.stored.id },
          `${countryName(c.attributes.jurisdiction).replace(/ \([A-Z]{2}\)$/, '')} · until ${c.attributes.expiryDate}${session.opened.size > 1 ? ` (${i + 1})` : ''}`,
        ),
      ),
    );
    if (previous && session.opened.has(previous)) credentialSelect.value = previous;
    const credential = selectedCredential();
    if (credential && !validUntilInput.value) validUntilInput.value = credential.attributes.expiryDate;
    if (credential) validUntilInput.max = credential.attributes.expiryDate;
  }

  /**
   * The one-sentence escrow notice under the rules, shown before the holder proves; hidden for a
   * policy without an escrow key. A key that fails the checks is refused in the status line.
   */
  function showEscrow(escrow: GatePolicyView['escrow']): void {
    escrowNotice.hidden = !escrow;
    escrowNotice.textContent = escrow ? ESCROW_IN_WORDS : '';
    if (escrow) escrowNotice.dataset.escrow = 'key' in escrow ? 'key' : 'invalid-key';
    else delete escrowNotice.dataset.escrow;
  }

  type RuleRow = { rule: string; text: string; failure?: string };

  let evaluations = 0;
  const choiceInputs = [tokenSelect, credentialSelect, validUntilInput];

  /** Drops any evaluation still waiting on the gate: its answer no longer belongs to what the panel shows. */
  function endEvaluations(): void {
    evaluations += 1;
    for (const node of [rulesList, status]) node.removeAttribute('aria-busy');
  }

  /**
   * Evaluates the chosen credential against the chosen token's policy; returns whether all rules
   * pass. The rules and status are marked aria-busy until the gate has answered, so neither a
   * screen reader nor a script reads a half-drawn panel; when the holder picks another token
   * while the gate is asked, only the latest choice draws.
   */
  async function evaluate(): Promise<boolean> {
    const mine = ++evaluations;
    for (const node of [rulesList, status]) node.setAttribute('aria-busy', 'true');
    try {
      return await evaluateLatest(() => mine !== evaluations);
    } finally {
      if (mine === evaluations) for (const node of [rulesList, status]) node.removeAttribute('aria-busy');
    }
  }

  async function evaluateLatest(superseded: () => boolean): Promise<boolean> {
    const session = getSession();
    const token = selectedToken();
    const credential = selectedCredential();
    rulesList.replaceChildren();
    showEscrow(undefined);
    delete status.dataset.error;
    if (!session || !token) {
      showRegistrationState({ kind: 'unregistered' }, undefined);
      ttlNote.textContent = '';
      if (session) say(status, 'Choose a token to see its rules.');
      hooks.onProgress?.({ eligible: false, verified: false });
      return false;
    }
    let policy: GatePolicyView;
    let confirmed = true;
    try {
      policy = await gatePolicy(session, token.policyId);
      if (!session.isLocked && !superseded()) showNotice(null);
    } catch (err) {
      if (session.isLocked || superseded()) return false;
      const recorded = session.loaded.deployment.policies.find((p) => p.policyId === token.policyId);
      if (!recorded) {
        say(status, explainChainError(err), 'error');
        proveButton.disabled = true;
        return false;
      }
      // Show the rules as the deployment file records them, but prove only against the gate's own.
      say(status, explainChainError(err), 'error');
      confirmed = false;
      policy = {
        policyId: BigInt(recorded.policyId),
        scope: BigInt(recorded.scope),
        jurisdictionMask: BigInt(recorded.jurisdictionMask),
        minAge: recorded.minAge,
        investorClassMask: recorded.investorClassMask,
        minKycLevel: recorded.minKycLevel,
        acceptedIssuers: recorded.acceptedIssuers.map(BigInt),
        ttl: BigInt(recorded.ttl),
        escrow: recordedEscrowKey(recorded.escrowKey),
      };
    }
    // Locked while the gate was asked: the panel was emptied, and stays so.
    if (session.isLocked || superseded()) return false;
    showEscrow(policy.escrow);
    const rows: RuleRow[] = describePolicy(decodePolicy(policy));
    rows.push({ rule: 'issuer', text: 'Credential from an issuer this token accepts' });
    rows.push({ rule: 'validity', text: 'Credential still valid: not expired, not withdrawn by the issuer' });
    ttlNote.textContent = `Registrations for this token last ${durationInWords(policy.ttl)}: you stay verified until this date or for ${durationInWords(policy.ttl)}, whichever comes first.`;
    if (!credential || !confirmed) {
      rulesList.append(...rows.map((r) => el('li', { 'data-rule': r.rule }, r.text)));
      if (!confirmed) rulesList.append(el('li', { 'data-rule': 'source' }, '(as recorded in the deployment file; the gate could not be asked)'));
      else say(status, 'Receive a credential first (step 2).');
      proveButton.disabled = true;
      hooks.onProgress?.({ token, eligible: false, verified: false });
      return false;
    }
    let failures: PolicyFailure[] = [];
    let validUntil: number | undefined;
    try {
      validUntil = dateToInt(validUntilInput.value || credential.attributes.expiryDate, 'validUntil');
      failures = checkPolicy(credential.encoded, policy, todayInt(), validUntil).failures;
    } catch (err) {
      failures = [{ rule: 'validUntil', message: (err as Error).message }];
    }
    const byRule = (rule: string) => failures.filter((f) => f.rule === rule).map((f) => f.message);
    for (const row of rows) {
      const why =
        row.rule === 'issuer'
          ? policy.acceptedIssuers.includes(BigInt(credential.stored.treeId))
            ? []
            : ['your credential’s issuer is not one this token accepts']
          : row.rule === 'validity'
            ? [...byRule('expired'), ...byRule('validUntil'), ...(session.credentialStatus.get(credential.stored.id) === 'revoked' ? ['the issuer withdrew (revoked) this credential'] : [])]
            : byRule(row.rule);
      row.failure = why.join('; ') || undefined;
    }
    rulesList.append(
      ...rows.map((r) =>
        el(
          'li',
          { 'data-rule': r.rule, 'data-ok': String(!r.failure) },
          el('span', { class: 'visually-hidden' }, r.failure ? 'Not met: ' : 'Met: '),
          r.text,
          r.failure ? el('span', { class: 'why' }, r.failure) : null,
        ),
      ),
    );
    const ok = rows.every((r) => !r.failure) && !(policy.escrow && 'invalid' in policy.escrow);
    proveButton.disabled = busy || !ok;
    const state = await readRegistration(session, token, policy);
    if (superseded()) return false;
    if (session.isLocked) {
      rulesList.replaceChildren();
      return false;
    }
    if (policy.escrow && 'invalid' in policy.escrow) {
      say(status, badEscrowKeyInWords(policy.escrow.invalid.rule), 'error');
      status.dataset.error = 'EscrowKeyInvalid';
    } else if (!ok) {
      const revoked = rows.find((r) => r.rule === 'validity')?.failure;
      const already = state.kind === 'verified' ? ' Your current registration stays until it ends, but it cannot be renewed.' : '';
      say(status, revoked ? `Not eligible: ${revoked}.${already}` : `Not eligible for this token: the crossed rules above are not met, so no proof can exist.${already}`, 'error');
    } else if (!busy && state.kind === 'verified') {
      say(status, state.renewSoon ? 'Your registration ends soon: renew it to stay verified.' : `You are already verified for ${token.symbol}: nothing to do here. Go on to transfer (step 5).`, 'ok');
    } else if (!busy) say(status, `Eligible. Next: register. Proving shows the gate only that you meet these rules, until ${intToDate(validUntil!)} at most.`, 'ok');
    if (!busy) showRegistrationState(state, policy);
    hooks.onProgress?.({ token, eligible: ok, verified: state.kind === 'verified' });
    return ok;
  }

  /** The gate's record for the active wallet under the token's policy; unregistered when it cannot be read. */
  async function readRegistration(session: WalletSession, token: DeployedToken, policy: GatePolicyView): Promise<RegistrationState> {
    try {
      const { contracts } = await session.chain();
      const until = await contracts.complianceGate.verifiedUntil(BigInt(token.policyId), session.identity.address);
      return registrationState(until, policy.ttl, BigInt(Math.floor(Date.now() / 1000)));
    } catch {
      // Reported by evaluate's own chain access.
      return { kind: 'unregistered' };
    }
  }

  /**
   * "Verified until …" for a registered wallet, with the policy's ttl beside it; the prove button
   * becomes a secondary "Renew registration", the main action again only in the ttl's last tenth.
   */
  function showRegistrationState(state: RegistrationState, policy: GatePolicyView | undefined): void {
    // Another token's or wallet's registration shown earlier is not this one's.
    registrationView.hidden = state.kind !== 'verified';
    if (state.kind === 'verified') {
      byId('verified-until').textContent = timestampInWords(state.until);
      byId('registration-note').textContent =
        `Registrations for this token last ${policy ? durationInWords(policy.ttl) : 'a limited time'}.${state.renewSoon ? ' This one ends soon: renew it to stay verified.' : ''}`;
      proveButton.textContent = 'Renew registration';
      proveButton.classList.toggle('secondary', !state.renewSoon);
    } else {
      proveButton.textContent = 'Prove and register';
      proveButton.classList.remove('secondary');
    }
  }

  /**
   * The credential's path at the root the registry holds now, built from the issuer's public tree
   * files (its top and the one chunk of 65,536 leaves holding the credential) and checked against
   * that on-chain root: the issuer learns neither which credential is about to prove nor when, and
   * the chunk itself says whether the credential was revoked. Polls until the registry's root
   * contains the credential. Only an issuer that serves no tree files is asked for the path.
   */
  async function acceptedPath(session: WalletSession, credential: OpenedCredential): Promise<KycProofRequest['merkleProof'] | 'revoked'> {
    const { contracts } = await session.chain();
    const treeId = BigInt(credential.stored.treeId);
    const deadline = Date.now() + ROOT_WAIT_MS;
    for (;;) {
      const { currentRoot } = await contracts.issuerRegistry.issuer(treeId);
      const read = currentRoot === 0n ? 'later' : await readTreeLeaf(session.issuer(credential.stored.issuerUrl), { leafIndex: credential.stored.leafIndex, root: currentRoot }).catch(notYet);
      if (read === null) return issuerPath(session, credential);
      if (read !== 'later' && (await contracts.issuerRegistry.isRootAcceptable(treeId, currentRoot))) {
        if (read.revoked) return 'revoked';
        if (read.proof.leaf !== BigInt(credential.stored.leaf)) throw new Error('the issuer’s public list does not hold your credential where it should: ask the issuer');
        return read.proof;
      }
      if (Date.now() > deadline) throw new Error('the issuer has not yet published a list that includes your credential; try again in a minute');
      stage.textContent = 'Waiting for the issuer to publish its latest list of credentials on-chain…';
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  /** The path from the issuer's per-credential route (names the credential): for an issuer without tree files. */
  async function issuerPath(session: WalletSession, credential: OpenedCredential) {
    const { contracts } = await session.chain();
    const issuer = session.issuer(credential.stored.issuerUrl).withAccessToken(accessTokenFor(session, credential));
    const deadline = Date.now() + ROOT_WAIT_MS;
    for (;;) {
      const path = toMerkleProof(await issuer.credentialPath(credential.stored.id));
      if (await contracts.issuerRegistry.isRootAcceptable(BigInt(credential.stored.treeId), path.root)) return path;
      if (Date.now() > deadline) throw new Error('the issuer has not yet published a list that includes your credential; try again in a minute');
      stage.textContent = 'Waiting for the issuer to publish its latest list of credentials on-chain…';
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  async function proveAndRegister(): Promise<void> {
    const session = getSession();
    const token = selectedToken();
    const credential = selectedCredential();
    if (!session || !token || !credential || busy) return;
    busy = true;
    // The flow registers this token with this credential: the choices stay fixed until it ends, and an
    // evaluation still waiting on the gate would otherwise draw over the flow's own status.
    endEvaluations();
    for (const input of choiceInputs) input.disabled = true;
    proveButton.disabled = true;
    delete status.dataset.error;
    registrationView.hidden = true;
    progress.hidden = false;
    progressBar.removeAttribute('value');
    stage.textContent = 'Reading the gate’s policy…';
    const elapsed = startElapsedTimer(byId('prove-elapsed'));
    try {
      // No status call to the issuer: the tree chunk the path is built from says whether the leaf is revoked.
      const policy = await gatePolicy(session, token.policyId);
      if (policy.escrow && 'invalid' in policy.escrow) {
        say(status, badEscrowKeyInWords(policy.escrow.invalid.rule), 'error');
        status.dataset.error = 'EscrowKeyInvalid';
        return;
      }
      const escrowKey = policy.escrow?.key;
      const { provider, contracts } = await session.chain();
      const operator = session.loaded.config.devOperatorUrl ? new DevOperator(session.loaded.config.devOperatorUrl) : undefined;
      // The operator funds this wallet's own accounts only: a browser wallet's account brings its own ETH, or the relayer pays.
      if (operator && !session.usesExternalAccount && !relayerAsked() && (await provider.getBalance(session.identity.address)) === 0n) {
        session.assertUnlocked();
        stage.textContent = 'Getting test ETH for gas from the dev chain operator…';
        await operator.fund(session.identity.address);
      }
      stage.textContent = 'Downloading part of the issuer’s public list of credentials, to prove yours is on it…';
      const merkleProof = await acceptedPath(session, credential);
      if (merkleProof === 'revoked') {
        session.credentialStatus.set(credential.stored.id, 'revoked');
        say(status, 'Not eligible: the credential is revoked by its issuer. Apply for a new one.', 'error');
        return;
      }
      const validUntil = dateToInt(validUntilInput.value, 'validUntil');
      stage.textContent = 'Loading the circuit…';
      const request: KycProofRequest = {
        identitySecret: session.identity.identitySecret,
        attributes: credential.encoded,
        salt: BigInt(credential.stored.salt),
        merkleProof,
        policy,
        wallet: session.identity.address,
        today: todayInt(),
        validUntil,
      };
      const onProgress = (event: ProgressEvent) => {
        if (event.stage === 'loading') {
          // The stage line is a live region: it names the stage once; the byte count goes to the bar.
          if (!stage.textContent?.startsWith('Loading the circuit')) stage.textContent = 'Loading the circuit…';
          if (event.totalBytes > 0) {
            progressBar.value = Math.min(99, (event.loadedBytes / event.totalBytes) * 100);
            progressBar.setAttribute('aria-valuetext', `${(event.loadedBytes / 1e6).toFixed(1)} of ${(event.totalBytes / 1e6).toFixed(1)} MB`);
          }
        } else {
          stage.textContent = escrowKey
            ? 'Generating the zero-knowledge proof, with the sealed reference for the auditors, in a background worker…'
            : 'Generating the zero-knowledge proof in a background worker…';
          progressBar.removeAttribute('value');
          progressBar.removeAttribute('aria-valuetext');
        }
      };
      // A policy with an escrow key takes the escrow variant's proof (its prover refuses a bad key
      // again) and registers with verifyEscrow; any other policy takes kycPolicy and verify.
      const proof = escrowKey ? await prover.proveEscrow({ ...request, escrowKey }, onProgress) : await prover.prove(request, onProgress);
      session.assertUnlocked();
      const proveMs = Math.round(proof.witnessMs + proof.proveMs);
      const proveTime = byId('prove-time');
      proveTime.textContent = `${(proveMs / 1000).toFixed(2)} s (witness ${Math.round(proof.witnessMs)} ms + Groth16 ${Math.round(proof.proveMs)} ms${proof.loadMs ? `; loading the circuit took ${(proof.loadMs / 1000).toFixed(1)} s` : ''})`;
      proveTime.dataset.proveMs = String(proveMs);
      proveTime.dataset.loadMs = String(Math.round(proof.loadMs));
      proveTime.dataset.circuit = proof.kind === 'escrow' ? 'kycPolicyEscrow32' : 'kycPolicy32';
      stage.textContent = 'Checking the registration with the compliance gate…';
      progressBar.value = 100;
      const viaRelayer = await relayerShouldPay(session, relayerAsked());
      let txHash: string;
      try {
        if (viaRelayer) {
          // The relayer simulates and pays; the account signs only its consent, after the review.
          stage.textContent = 'Sending the registration through the relayer, which pays the fee…';
          const relayed = await registerThroughRelayer(session, { token, policyId: policy.policyId, proof, validUntil: intToDate(validUntil) }, reviewBeforeSigning, (words) => {
            stage.textContent = words;
          });
          session.assertUnlocked();
          if (!relayed) {
            say(status, 'Registration cancelled: nothing was signed or sent. Prove again when you want to register.');
            return;
          }
          txHash = relayed.txHash;
        } else {
          const { pA, pB, pC } = proof.solidityCalldata;
          const gate = contracts.complianceGate;
          // The gate's dry run: a proof it would refuse is refused here, before the holder is asked to sign.
          const fee = await estimatedFee(provider, () =>
            proof.kind === 'escrow'
              ? gate.verifyEscrow.estimateGas(policy.policyId, pA, pB, pC, proof.solidityCalldata.pubSignals)
              : gate.verify.estimateGas(policy.policyId, pA, pB, pC, proof.solidityCalldata.pubSignals),
          );
          session.assertUnlocked();
          const confirmed = await reviewBeforeSigning(
            registrationReview(session, token, policy, validUntil, { gate: await gate.getAddress(), fee: fee.inWords, gas: fee.gas, escrow: proof.kind === 'escrow' }),
          );
          // A lock while the review was open cancels it; one since the confirm must not sign either.
          session.assertUnlocked();
          if (!confirmed) {
            say(status, 'Registration cancelled: nothing was signed or sent. Prove again when you want to register.');
            return;
          }
          stage.textContent = 'Submitting the proof to the compliance gate…';
          const tx =
            proof.kind === 'escrow'
              ? await contracts.complianceGate.verifyEscrow(policy.policyId, pA, pB, pC, proof.solidityCalldata.pubSignals)
              : await contracts.complianceGate.verify(policy.policyId, pA, pB, pC, proof.solidityCalldata.pubSignals);
          const receipt = await tx.wait();
          txHash = receipt?.hash ?? tx.hash;
        }
      } catch (err) {
        if (isConnectionFailure(err) || err instanceof WalletLockedError) throw err;
        const refusal = explainRefusal(err);
        const what = refusal.proofRejected ? 'Proof rejected on-chain' : 'Registration refused';
        // The rules shown were read before proving; if the operator changed them since, read them again.
        const changed = POLICY_CHANGED.has(refusal.decoded?.name ?? '');
        if (changed) policies.delete(token.policyId);
        const next = changed ? ' The token’s policy changed since you checked it: re-check the rules and prove again.' : '';
        say(status, `${what}: ${refusal.explanation}. Nothing was recorded.${next}`, 'error');
        status.dataset.error = refusal.decoded?.name ?? 'unknown';
        return;
      }
      const until = await contracts.complianceGate.verifiedUntil(policy.policyId, session.identity.address);
      showRegistrationState(registrationState(until, policy.ttl, BigInt(Math.floor(Date.now() / 1000))), policy);
      byId('registration-tx').textContent = txHash;
      session.assertUnlocked();
      if (operator) {
        stage.textContent = 'The token’s agent is minting demo tokens to your verified wallet…';
        await operator.mint(session.identity.address, token.symbol).catch((err) => say(status, (err as Error).message, 'error'));
      }
      say(status, `Verified for ${token.symbol}. Your wallet may hold and transfer it until the date above. Next: transfer (step 5).`, 'ok');
      hooks.onRegistered(token);
      hooks.onProgress?.({ token, eligible: true, verified: true });
      focusResult(registrationView);
    } catch (err) {
      // Locked mid-flow: the panel was emptied and nothing more is signed; there is nothing to say.
      if (session.isLocked) return;
      if (err instanceof NotEligibleError) say(status, `Not eligible: ${err.failures.map((f) => f.message).join('; ')}.`, 'error');
      else if (err instanceof ChainUnreachableError || isConnectionFailure(err)) say(status, explainChainError(err), 'error');
      else if ((err as Error)?.name?.startsWith('Issuer')) say(status, explainIssuerError(err), 'error');
      else say(status, (err as Error).message, 'error');
    } finally {
      elapsed.stop();
      busy = false;
      for (const input of choiceInputs) input.disabled = false;
      progress.hidden = true;
      proveButton.disabled = false;
      if (!session.isLocked && status.dataset.tone !== 'ok') focusResult(status);
    }
  }

  for (const input of choiceInputs) input.addEventListener('change', () => void evaluate());
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void proveAndRegister();
  });

  /**
   * The wallet locked: ends the proving worker (its memory holds the last witness — identity
   * secret, salt, attributes, Merkle path; the next proof loads the circuit again) and empties the
   * panel of the credential, the registration and the chosen token. A flow in progress stops at
   * its next signature or send (WalletSession.assertUnlocked). render() after unlock fills it again.
   */
  function lock(): void {
    prover.terminate();
    policies.clear();
    endEvaluations();
    tokenSelect.replaceChildren();
    credentialSelect.replaceChildren();
    validUntilInput.value = '';
    validUntilInput.removeAttribute('max');
    rulesList.replaceChildren();
    showEscrow(undefined);
    showRegistrationState({ kind: 'unregistered' }, undefined);
    for (const id of ['verified-until', 'registration-note', 'registration-tx', 'prove-time']) byId(id).textContent = '';
    for (const key of ['proveMs', 'loadMs', 'circuit']) delete byId('prove-time').dataset[key];
    ttlNote.textContent = '';
    progress.hidden = true;
    stage.textContent = '';
    byId('prove-elapsed').textContent = '';
    say(status, '');
    delete status.dataset.error;
  }

  return {
    async render(): Promise<void> {
      fillSelects();
      await evaluate();
    },
    selectedToken,
    lock,
  };
}

/**
 * The registration as the holder reviews it before signing: which wallet becomes verified for
 * which token, until when, at which contract (named in words), for what fee.
 */
function registrationReview(session: WalletSession, token: DeployedToken, policy: GatePolicyView, validUntil: number, sending: { gate: string; fee: string; gas: bigint; escrow: boolean }) {
  const wallet = session.identity.address;
  const details: Array<[string, string]> = [
    ['Wallet', wallet],
    ['Compliance gate', sending.gate],
    ['Policy', `#${policy.policyId}`],
    ['What the gate learns', 'that you meet the token’s rules, for this wallet, under an investor tag for this token; none of your details'],
  ];
  if (sending.escrow) details.push(['Sealed reference', ESCROW_IN_WORDS]);
  details.push(['Estimated gas', sending.gas.toString()]);
  return {
    title: `Review your registration for ${token.symbol}`,
    action: `Register wallet ${shortAddress(wallet)} as verified for ${token.name} (${token.symbol}) until ${intToDate(validUntil)} at most (registrations last ${durationInWords(policy.ttl)})`,
    to: contractInWords('gate', sending.gate),
    fee: sending.fee,
    details,
  };
}

/** The issuer's JSON path as the prover's MerkleProof (per level, the 3 sibling decimal strings → bigints). */
function toMerkleProof(path: CredentialPath): KycProofRequest['merkleProof'] {
  return {
    root: BigInt(path.root),
    leaf: BigInt(path.leaf),
    index: path.leafIndex,
    siblings: path.siblings.map((level) => level.map((s) => BigInt(s))),
  };
}

/**
 * Tree files the registry's root does not cover yet — the credential came after that root
 * (`leafIndex` / `in-tree`), or the issuer has not written the files of that root yet
 * (`root_not_served`, e.g. just after a restart) — mean "wait for the next publication".
 */
function notYet(err: unknown): 'later' {
  const e = err as { name?: string; rule?: string; code?: string };
  if ((e?.name === 'TreeError' && e.rule === 'in-tree') || (e?.name === 'IssuerApiError' && e.code === 'root_not_served')) return 'later';
  throw err;
}

function accessTokenFor(session: WalletSession, credential: OpenedCredential): string {
  const app = session.state.applications.find((a) => a.id === credential.stored.applicationId);
  if (!app) throw new Error('the application this credential came from is not in the wallet');
  return app.accessToken;
}
