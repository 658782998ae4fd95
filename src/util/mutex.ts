// Async locks for read-modify-write sections within one process (Keyv has no transactions).

/** Serialises async sections per key: sections for one key run one after another, in call order. */
export class KeyedMutex {
  private tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await next;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

/** One lock: sections run one after another, in call order. */
export class Mutex {
  private readonly keyed = new KeyedMutex();

  run<T>(fn: () => Promise<T>): Promise<T> {
    return this.keyed.run("", fn);
  }
}
