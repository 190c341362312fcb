// Ties a circuit's committed keys to the circuit as compiled now, not to the
// hashes the setup wrote (check-manifest.mjs runs this in CI). It checks what
// snarkjs's zKey.verifyFromR1cs checks, except the transcript of phase-2
// contributions, without rebuilding the key: about 4–5 s of CPU per circuit
// against about 45 s for verifyFromR1cs (which `check-manifest.mjs --full`
// and every ceremony step still run).
//
// What a Groth16 zkey made by snarkjs from an r1cs and a ptau contains, and
// how each part is pinned (zkey_new.js is the reference):
// - the header: wire count, public signal count, FFT domain size, which must be
//   the r1cs's;
// - the coefficients of A and B, the matrices the prover evaluates, written
//   from the r1cs in a fixed order: recomputed and compared byte for byte;
// - alpha1, beta1, beta2 (the ptau's first points) and gamma2 (the generator):
//   compared;
// - IC, the verifier's points for the public signals: IC[s] = Σ over the
//   constraints where signal s appears of its coefficient times the ptau's
//   Lagrange point β·L_c(τ) (in A), α·L_c(τ) (in B) or L_c(τ) (in C), plus
//   β·L_(n+s)(τ) for the row snarkjs adds per public signal: recomputed with
//   one multi-exponentiation per signal and compared;
// - the prover's points (A, B1, B2, C, H) and delta: one random linear
//   combination per section against the same combination of the ptau's points
//   (proverPointProblems), since delta is the contributions' free choice.
//
// derivedArtifactProblems then holds the verification key JSON and the
// Solidity verifier to exactly what snarkjs derives from that zkey.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import * as snarkjs from 'snarkjs';
import { REPO_ROOT } from './circom.mjs';
import { solidityVerifierText, verificationKeyText } from './install-artifacts.mjs';

/** The sections of an iden3 binary file (r1cs, zkey, ptau): id -> bytes. */
function sectionsOf(path, type) {
  const buffer = readFileSync(path);
  if (buffer.toString('latin1', 0, 4) !== type) throw new Error(`${path} is not a ${type} file`);
  const sections = new Map();
  let pos = 12;
  for (let i = 0, n = buffer.readUInt32LE(8); i < n; i++) {
    const id = buffer.readUInt32LE(pos);
    const size = Number(buffer.readBigUInt64LE(pos + 4));
    pos += 12;
    if (sections.has(id)) throw new Error(`${path}: section ${id} appears twice`);
    sections.set(id, buffer.subarray(pos, pos + size));
    pos += size;
  }
  return sections;
}

const readLE = (bytes, offset, n8) => {
  let value = 0n;
  for (let i = n8 - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[offset + i]);
  return value;
};

function readR1cs(path) {
  const sections = sectionsOf(path, 'r1cs');
  const h = sections.get(1);
  const n8 = h.readUInt32LE(0);
  let o = 4 + n8;
  const header = {
    n8,
    prime: readLE(h, 4, n8),
    nVars: h.readUInt32LE(o),
    nOutputs: h.readUInt32LE(o + 4),
    nPubInputs: h.readUInt32LE(o + 8),
    nConstraints: h.readUInt32LE(o + 24),
  };
  // Constraints: per constraint, A then B then C, each a count and (signal, coefficient) pairs.
  const data = sections.get(2);
  const constraints = [];
  o = 0;
  const readLc = () => {
    const terms = [];
    for (let i = 0, n = data.readUInt32LE((o += 4) - 4); i < n; i++) {
      terms.push({ signal: data.readUInt32LE(o), coef: data.subarray(o + 4, o + 4 + n8) });
      o += 4 + n8;
    }
    return terms;
  };
  for (let c = 0; c < header.nConstraints; c++) constraints.push({ A: readLc(), B: readLc(), C: readLc() });
  return { ...header, constraints };
}

function readZkeyHeader(sections, sG1, sG2) {
  if (sections.get(1)?.readUInt32LE(0) !== 1) return undefined; // 1 = Groth16
  const h = sections.get(2);
  const n8q = h.readUInt32LE(0);
  const n8r = h.readUInt32LE(4 + n8q);
  let o = 8 + n8q + n8r;
  const header = { r: readLE(h, 8 + n8q, n8r), n8r, nVars: h.readUInt32LE(o), nPublic: h.readUInt32LE(o + 4), domainSize: h.readUInt32LE(o + 8) };
  o += 12;
  const next = (size) => h.subarray(o, (o += size));
  return { ...header, alpha1: next(sG1), beta1: next(sG1), beta2: next(sG2), gamma2: next(sG2), delta1: next(sG1), delta2: next(sG2) };
}

const ptauCache = new Map();
function ptauSections(path) {
  if (!ptauCache.has(path)) ptauCache.set(path, sectionsOf(path, 'ptau'));
  return ptauCache.get(path);
}

/**
 * What ties `zkey` to the circuit compiled into `r1cs` and to the powers of tau `ptau`;
 * an empty list when the zkey was made for exactly this circuit from this ptau.
 */
export async function keyBindingProblems({ r1cs: r1csPath, ptau: ptauPath, zkey: zkeyPath }) {
  const name = relative(REPO_ROOT, zkeyPath);
  const notFor = (why) => [`${name} was not made for the compiled circuit: ${why}`];
  const curve = await snarkjs.curves.getCurveFromName('bn128');
  const { Fr, G1, G2 } = curve;
  const sG1 = G1.F.n8 * 2;
  const sG2 = G2.F.n8 * 2;

  const r1cs = readR1cs(r1csPath);
  const zkeySections = sectionsOf(zkeyPath, 'zkey');
  const zkey = readZkeyHeader(zkeySections, sG1, sG2);
  if (!zkey) return [`${name} is not a Groth16 zkey`];

  // 1. Shape: what snarkjs's newZKey writes in the header for this r1cs.
  const nPublic = r1cs.nOutputs + r1cs.nPubInputs;
  const domainSize = 2 ** Math.ceil(Math.log2(r1cs.nConstraints + nPublic + 1));
  if (r1cs.prime !== curve.r || zkey.r !== curve.r) return notFor('it is for another field than the r1cs (or not bn128)');
  if (zkey.nVars !== r1cs.nVars) return notFor(`it has ${zkey.nVars} wires, the r1cs ${r1cs.nVars}`);
  if (zkey.nPublic !== nPublic) return notFor(`it has ${zkey.nPublic} public signals, the r1cs ${nPublic}`);
  if (zkey.domainSize !== domainSize) return notFor(`its domain is ${zkey.domainSize}, the r1cs needs ${domainSize}`);

  const problems = [];
  // 2. The A and B coefficients, in newZKey's order and encoding (value · R² in Fr, 12-byte prefix).
  const R = (1n << BigInt(zkey.n8r * 8)) % curve.r;
  const R2 = Fr.e((R * R) % curve.r);
  const one = new Uint8Array(Fr.n8);
  Fr.toRprLE(one, 0, Fr.e(1));
  const entry = 12 + Fr.n8;
  const expected = [];
  const push = (matrix, row, signal, coef) => {
    const bytes = new Uint8Array(entry);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, matrix, true);
    view.setUint32(4, row, true);
    view.setUint32(8, signal, true);
    Fr.toRprLE(bytes, 12, Fr.mul(Fr.fromRprLE(coef, 0), R2));
    expected.push(bytes);
  };
  r1cs.constraints.forEach(({ A, B }, c) => {
    for (const t of A) push(0, c, t.signal, t.coef);
    for (const t of B) push(1, c, t.signal, t.coef);
  });
  for (let s = 0; s <= nPublic; s++) push(0, r1cs.nConstraints + s, s, one);
  const count = new Uint8Array(4);
  new DataView(count.buffer).setUint32(0, expected.length, true);
  if (!Buffer.concat([count, ...expected]).equals(zkeySections.get(4))) {
    problems.push(...notFor('its constraint coefficients differ from the compiled r1cs (a circuit of the same size, other constraints)'));
  }

  // 3. The verifier's points that do not depend on the phase-2 contributions.
  const ptau = ptauSections(ptauPath);
  const power = ptau.get(1).readUInt32LE(4 + ptau.get(1).readUInt32LE(0));
  // newZKey reads the Lagrange points of this domain and of the doubled one (for H). A ptau of
  // power k prepared for phase 2 holds them up to 2^(k+1) (section 12: 2^(k+1) − 1 points), so a
  // domain of 2^k is the largest it serves, as in snarkjs's own `cirPower > power` test.
  if (domainSize > 2 ** power || !ptau.get(12) || ptau.get(12).length < (4 * domainSize - 1) * sG1) return [...problems, `${relative(REPO_ROOT, ptauPath)} is too small or not prepared for phase 2`];
  const g2 = new Uint8Array(sG2);
  G2.toRprLEM(g2, 0, G2.g);
  if (
    !Buffer.from(zkey.alpha1).equals(ptau.get(4).subarray(0, sG1)) ||
    !Buffer.from(zkey.beta1).equals(ptau.get(5).subarray(0, sG1)) ||
    !Buffer.from(zkey.beta2).equals(ptau.get(6).subarray(0, sG2))
  ) {
    problems.push(`${name} was not made from ${relative(REPO_ROOT, ptauPath)}: its alpha and beta are not the ptau's`);
  }
  if (!Buffer.from(zkey.gamma2).equals(g2)) problems.push(`${name}: gamma2 is not the generator snarkjs sets`);

  // IC[s] from the r1cs and the ptau's Lagrange points of this domain (sections 12 τ, 14 ατ, 15 βτ).
  const TAU = 12;
  const ALPHA_TAU = 14;
  const BETA_TAU = 15;
  const terms = Array.from({ length: nPublic + 1 }, () => []);
  r1cs.constraints.forEach(({ A, B, C }, c) => {
    for (const [lc, section] of [
      [A, BETA_TAU],
      [B, ALPHA_TAU],
      [C, TAU],
    ]) {
      for (const t of lc) if (t.signal <= nPublic) terms[t.signal].push({ section, row: c, coef: t.coef });
    }
  });
  const unit = new Uint8Array(Fr.n8);
  unit[0] = 1;
  for (let s = 0; s <= nPublic; s++) terms[s].push({ section: BETA_TAU, row: r1cs.nConstraints + s, coef: unit });
  const ic = zkeySections.get(3);
  for (let s = 0; s <= nPublic; s++) {
    const bases = Buffer.concat(terms[s].map((t) => ptau.get(t.section).subarray((domainSize - 1 + t.row) * sG1, (domainSize + t.row) * sG1)));
    const scalars = Buffer.concat(terms[s].map((t) => t.coef));
    const computed = await G1.multiExpAffine(new Uint8Array(bases), new Uint8Array(scalars));
    if (!G1.eq(computed, G1.fromRprLEM(ic, s * sG1))) {
      problems.push(...notFor(`its IC[${s}] is not the one the r1cs and the ptau give (its verification key checks another circuit's public signals)`));
    }
  }
  problems.push(...(await proverPointProblems(curve, r1cs, nPublic, domainSize, zkey, zkeySections, ptau, name)));
  return problems;
}

/**
 * The prover's points (zkey sections 5–9), each section checked against the r1cs and the ptau at
 * once through a random linear combination, as snarkjs's verifyFromInit does against a rebuilt key
 * (a wrong section passes with probability 2^-64): with random 64-bit ρ_i per wire,
 *   A:  Σ ρ_i A_i  = Σ_c (Σ_i ρ_i a_ci) L_c(τ)       (plus the rows of the public signals)
 *   B1, B2: the same with b_ci, in G1 and in G2;
 *   C:  e(Σ ρ_i C_i, δ) = e(Σ_c (β·Σ ρ_i a_ci + α·Σ ρ_i b_ci + Σ ρ_i c_ci) L_c(τ), g2), private wires only;
 *   H:  e(Σ ρ_j H_j, δ) = e(Σ ρ_j L'_(2j+1)(τ), g2), L' the Lagrange basis of the doubled domain;
 * and delta1, delta2 are the same δ. One multi-exponentiation per term: seconds, not a rebuild.
 */
async function proverPointProblems(curve, r1cs, nPublic, domainSize, zkey, zkeySections, ptau, name) {
  const { Fr, G1, G2 } = curve;
  const sG1 = G1.F.n8 * 2;
  const sG2 = G2.F.n8 * 2;
  const problems = [];
  const wrong = (what) => problems.push(`${name} was not made for the compiled circuit and the ptau: its ${what}`);

  if (!(await curve.pairingEq(zkey.delta1, G2.g, G1.neg(G1.g), zkey.delta2))) wrong('delta1 and delta2 differ');

  // ρ: 64 random bits per wire (a wrong section passes with probability 2^-64), which also makes
  // the multi-exponentiations over the zkey's points 4 times shorter than with full scalars.
  const RHO = 8;
  const randomScalars = (n) => randomBytes(n * RHO);
  const asFr = (raw, i) => {
    const padded = new Uint8Array(Fr.n8);
    padded.set(raw.subarray(i * RHO, (i + 1) * RHO));
    return Fr.fromRprLE(padded, 0);
  };
  const rhoAll = new Uint8Array(randomScalars(r1cs.nVars));
  const rho = Array.from({ length: r1cs.nVars }, (_, i) => asFr(rhoAll, i));
  // Fr values as multi-exponentiation input (full-size scalars).
  const scalars = (values) => {
    const out = new Uint8Array(values.length * Fr.n8);
    values.forEach((v, i) => Fr.toRprLE(out, i * Fr.n8, v));
    return out;
  };
  const lagrange = (section, size, points, n) =>
    ptau
      .get(section)
      .subarray((n - 1) * size, (2 * n - 1) * size)
      .subarray(0, points * size);
  const rows = (wires) => {
    const acc = { A: [], B: [], C: [] };
    for (const m of ['A', 'B', 'C']) for (let c = 0; c < domainSize; c++) acc[m].push(Fr.zero);
    r1cs.constraints.forEach((constraint, c) => {
      for (const m of ['A', 'B', 'C']) {
        for (const t of constraint[m]) if (wires(t.signal)) acc[m][c] = Fr.add(acc[m][c], Fr.mul(rho[t.signal], Fr.fromRprLE(t.coef, 0)));
      }
    });
    for (let s = 0; s <= nPublic; s++) if (wires(s)) acc.A[r1cs.nConstraints + s] = Fr.add(acc.A[r1cs.nConstraints + s], rho[s]);
    return { A: scalars(acc.A), B: scalars(acc.B), C: scalars(acc.C) };
  };
  const section = (id, size, count) => {
    const bytes = zkeySections.get(id);
    return bytes && bytes.length === count * size ? new Uint8Array(bytes) : undefined;
  };

  const all = rows(() => true);
  const tauG1 = new Uint8Array(lagrange(12, sG1, domainSize, domainSize));
  for (const [id, label, G, bases, coefficients, size] of [
    [5, 'A points', G1, tauG1, all.A, sG1],
    [6, 'B1 points', G1, tauG1, all.B, sG1],
    [7, 'B2 points', G2, new Uint8Array(lagrange(13, sG2, domainSize, domainSize)), all.B, sG2],
  ]) {
    const points = section(id, size, r1cs.nVars);
    if (!points || !G.eq(await G.multiExpAffine(points, rhoAll), await G.multiExpAffine(bases, coefficients))) wrong(`${label} are not the r1cs's`);
  }

  const nPrivate = r1cs.nVars - nPublic - 1;
  const priv = rows((signal) => signal > nPublic);
  const cPoints = section(8, sG1, nPrivate);
  const cExpected = G1.add(
    G1.add(await G1.multiExpAffine(new Uint8Array(lagrange(15, sG1, domainSize, domainSize)), priv.A), await G1.multiExpAffine(new Uint8Array(lagrange(14, sG1, domainSize, domainSize)), priv.B)),
    await G1.multiExpAffine(tauG1, priv.C),
  );
  const cGot = cPoints && (await G1.multiExpAffine(cPoints, rhoAll.subarray((nPublic + 1) * RHO)));
  if (!cGot || !(await curve.pairingEq(cGot, zkey.delta2, G1.neg(cExpected), G2.g))) wrong("C points are not the r1cs's over its delta");

  const hPoints = section(9, sG1, domainSize);
  const doubled = lagrange(12, sG1, 2 * domainSize, 2 * domainSize);
  const odd = new Uint8Array(domainSize * sG1);
  for (let j = 0; j < domainSize; j++) odd.set(doubled.subarray((2 * j + 1) * sG1, (2 * j + 2) * sG1), j * sG1);
  const rhoH = new Uint8Array(randomScalars(domainSize));
  const hGot = hPoints && (await G1.multiExpAffine(hPoints, rhoH));
  if (!hGot || !(await curve.pairingEq(hGot, zkey.delta2, G1.neg(await G1.multiExpAffine(odd, rhoH)), G2.g))) wrong("H points are not the ptau's over its delta");
  return problems;
}

/**
 * The verification key JSON and the Solidity verifier must be exactly what snarkjs derives from
 * `zkey` (as install-artifacts.mjs wrote them); an empty list when they are.
 */
export async function derivedArtifactProblems({ zkey, verificationKey, verifier, verifierContract, zkeyFile, security }) {
  const problems = [];
  if (readFileSync(verificationKey, 'utf8') !== (await verificationKeyText(zkey))) {
    problems.push(`${relative(REPO_ROOT, verificationKey)} is not the verification key of the zkey (snarkjs zKey.exportVerificationKey gives another)`);
  }
  if (readFileSync(verifier, 'utf8') !== (await solidityVerifierText(zkey, verifierContract, { zkeyFile, security }))) {
    problems.push(`${relative(REPO_ROOT, verifier)} is not the verifier generated from the zkey (regenerate it with the setup; never edit it)`);
  }
  return problems;
}
