// A small time-bounded cache of serialized answers for finished executions: they no longer change, so
// a status poller or dashboard hitting one repeatedly skips the store reads and the document render.
// The short TTL bounds how long a deleted execution (teacher "forget", retention) can still be served.

export class FinishedCache {
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

  get size(): number {
    return this.entries.size;
  }
}
