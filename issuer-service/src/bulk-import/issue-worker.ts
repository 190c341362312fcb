import { issueKycCredentialV2, type BitstringStatusListEntry, type EncodedAttributes } from '@zkkyc/credentials';
import type { JWK } from 'jose';
import type { IssuedAttributes } from '../store/issuer-store.js';
import { directJwsSigner } from './direct-signer.js';
import { wasmLeafHash } from './leaf-hash.js';

/**
 * A worker process of the bulk import: for a slice of a chunk, each row's leaf (Poseidon7) and its
 * signed VC 2.0 credential — the two costs that grow with the rows and need nothing from the
 * database. The importer allocates indices and status bits, seals records, hashes the nodes and
 * writes; the workers run on the other cores (worker-pool.ts). Processes, not worker threads:
 * circomlibjs' field library loads `web-worker`, which takes over any worker thread it is imported in.
 */

export interface IssueJob {
  key: { privateKeyHex: string; publicJwk: JWK; kid: string };
  issuerDid: string;
  treeId: string;
  schemaUrl: string;
  validFrom: number;
  rows: Array<{
    holderDid: string;
    attributes: IssuedAttributes;
    encoded: EncodedAttributes;
    identityCommitment: string;
    salt: string;
    leafIndex: number;
    status: BitstringStatusListEntry;
  }>;
}

export interface IssueResult {
  leaves: string[];
  jwts: string[];
}

/** Does one job: the same work the main thread does inline when there are no workers. */
export async function issueRows(job: IssueJob): Promise<IssueResult> {
  const leafHash = await wasmLeafHash();
  const signer = directJwsSigner(job.key.privateKeyHex, job.key.publicJwk, job.key.kid);
  const validFrom = new Date(job.validFrom);
  const leaves: string[] = [];
  const jwts: string[] = [];
  for (const r of job.rows) {
    const idc = BigInt(r.identityCommitment);
    leaves.push(leafHash(idc, r.encoded, BigInt(r.salt)).toString());
    const { jwt } = await issueKycCredentialV2(
      {
        issuerDid: job.issuerDid,
        holderDid: r.holderDid,
        attributes: r.attributes,
        identityCommitment: idc,
        leafIndex: r.leafIndex,
        treeId: job.treeId,
        schemaUrl: job.schemaUrl,
        status: r.status,
        validFrom,
      },
      signer,
    );
    jwts.push(jwt);
  }
  return { leaves, jwts };
}

if (process.send) {
  // Built while the importer reads and checks the file, not when the first chunk arrives.
  void wasmLeafHash();
  // One job at a time, in the order sent: the importer sends the next chunks ahead, and interleaved
  // jobs would all finish late instead of the oldest first.
  let queue = Promise.resolve();
  process.on('message', (message: { id: number; job: IssueJob }) => {
    queue = queue.then(() =>
      issueRows(message.job).then(
        (result) => void process.send?.({ id: message.id, result }),
        (err: Error) => void process.send?.({ id: message.id, error: err.message }),
      ),
    );
  });
  // The importer is gone (finished, or killed): so is its worker.
  process.on('disconnect', () => process.exit(0));
}
