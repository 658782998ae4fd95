// A small time-bounded cache of serialized execution views. A view changes only when its execution emits
// an event, and the server drops the entry on every event, so status pollers skip the store reads and the
// document render. The short TTL bounds any staleness: a deleted execution (teacher "forget", retention),
// or a view computed just before an event and stored just after it.

export class ExecutionViewCache {
  private readonly entries = new Map<string, { text: string; expires: number }>();

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get(id: string): string | undefined {
    const hit = this.entries.get(id);
    if (!hit) return undefined;
    if (hit.expires <= this.now()) {
      this.entries.delete(id);
      return undefined;
    }
    return hit.text;
  }

  set(id: string, text: string): void {
    if (this.ttlMs <= 0 || this.maxEntries <= 0) return;
    this.entries.delete(id);
    this.entries.set(id, { text, expires: this.now() + this.ttlMs });
    // Map order is insertion order: the first entry is the oldest.
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  /** Drops an execution's entry (its state changed). */
  delete(id: string): void {
    this.entries.delete(id);
  }

  /** Drops every entry (a teacher's data was deleted here: none of their views may be served again). */
  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
