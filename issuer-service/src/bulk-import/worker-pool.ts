import { availableParallelism } from 'node:os';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { issueRows, type IssueJob, type IssueResult } from './issue-worker.js';

/** The worker's module; run with this process's loader flags (tsx's, when this is TypeScript). */
const WORKER_MODULE = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './issue-worker.ts' : './issue-worker.js', import.meta.url));

/**
 * Spreads a chunk's leaf hashing and signing over worker processes, one slice per worker, and puts
 * the results back in row order. With `size` 0 it runs inline (tests, one-core machines).
 */
export class IssueWorkerPool {
  private readonly workers: ChildProcess[] = [];
  private next = 0;
  private failure: Error | null = null;
  private closing = false;
  private readonly pending = new Map<number, { resolve(r: IssueResult): void; reject(e: Error): void }>();

  constructor(size: number) {
    for (let i = 0; i < size; i++) {
      const worker = fork(WORKER_MODULE, [], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      worker.on('message', (m: { id: number; result?: IssueResult; error?: string }) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.error !== undefined) p.reject(new Error(`issue worker: ${m.error}`));
        else p.resolve(m.result as IssueResult);
      });
      worker.on('exit', (code) => {
        if (this.closing) return;
        const err = new Error(`an issue worker exited (code ${code})`);
        this.failure = err;
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      });
      worker.on('error', (err) => {
        // A worker that fails to start or crashes fails the import (the chunk in hand is not written).
        this.failure = err;
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      });
      this.workers.push(worker);
    }
  }

  /** Workers for this machine: one per core (the main thread's share is the database and the nodes). */
  static defaultSize(): number {
    return Math.max(1, availableParallelism());
  }

  private run(worker: ChildProcess, job: IssueJob): Promise<IssueResult> {
    if (this.failure) return Promise.reject(this.failure);
    const id = ++this.next;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.send({ id, job });
    });
  }

  async issue(job: IssueJob): Promise<IssueResult> {
    if (this.workers.length === 0 || job.rows.length === 0) return issueRows(job);
    const per = Math.ceil(job.rows.length / this.workers.length);
    const parts = await Promise.all(
      this.workers.map((w, i) => {
        const rows = job.rows.slice(i * per, (i + 1) * per);
        return rows.length > 0 ? this.run(w, { ...job, rows }) : Promise.resolve({ leaves: [], jwts: [] });
      }),
    );
    return { leaves: parts.flatMap((p) => p.leaves), jwts: parts.flatMap((p) => p.jwts) };
  }

  /** Waits until every worker has loaded and built its Poseidon (so the first chunk does not pay for it). */
  async ready(job: Omit<IssueJob, 'rows'>): Promise<void> {
    await Promise.all(this.workers.map((w) => this.run(w, { ...job, rows: [] })));
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const w of this.workers) w.disconnect();
  }
}
