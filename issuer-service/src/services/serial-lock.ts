/**
 * Runs async sections one at a time. Issuing reads the next leaf index, signs a VC that names it,
 * then commits; two approvals interleaving would both pick the same index, so every tree change
 * (issue, revoke) goes through one lock. A failure in one section does not poison the next.
 */
export class SerialLock {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(section: () => Promise<T>): Promise<T> {
    const result = this.tail.then(section, section);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves once every section queued so far has finished. */
  async idle(): Promise<void> {
    await this.tail;
  }
}
