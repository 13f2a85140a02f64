// One live connection per key (a server plus credentials), shared by every read and check of a
// process: a worker's checks reuse connections across checks instead of connecting each time.
// Concurrent first uses of a key share one connect; a connect that fails is not kept (the next
// use tries again: the check's retry and the next check do the retrying); a connection that is
// no longer alive is replaced on next use.
export interface PoolHooks<T> {
  /** Closes a connection (pool shutdown, or a dead one being replaced). */
  close(conn: T): Promise<void> | void;
  /** Whether a pooled connection can still be used; default: always. */
  alive?(conn: T): boolean;
}

export class ConnectionPool<T> {
  private readonly entries = new Map<string, Promise<T>>();

  constructor(private readonly hooks: PoolHooks<T>) {}

  /** Connections open or being opened. */
  get size(): number {
    return this.entries.size;
  }

  /** The pooled connection for `key`, opened with `open` when there is none (or it died). */
  async get(key: string, open: () => Promise<T>): Promise<T> {
    const pending = this.entries.get(key);
    if (pending) {
      const conn = await pending.catch(() => undefined);
      if (conn !== undefined && (this.hooks.alive?.(conn) ?? true)) return conn;
      if (this.entries.get(key) === pending) {
        this.entries.delete(key);
        if (conn !== undefined) await Promise.resolve(this.hooks.close(conn)).catch(() => undefined);
      }
      return this.get(key, open);
    }
    const opening = open();
    this.entries.set(key, opening);
    try {
      return await opening;
    } catch (err) {
      if (this.entries.get(key) === opening) this.entries.delete(key);
      throw err;
    }
  }

  /** Drops and closes the connection of `key` (e.g. after an error that shows it is broken). */
  async discard(key: string): Promise<void> {
    const pending = this.entries.get(key);
    if (!pending) return;
    this.entries.delete(key);
    const conn = await pending.catch(() => undefined);
    if (conn !== undefined) await Promise.resolve(this.hooks.close(conn)).catch(() => undefined);
  }

  /** Closes every pooled connection. */
  async close(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map((p) => p.then((c) => this.hooks.close(c)).catch(() => undefined)));
  }
}
