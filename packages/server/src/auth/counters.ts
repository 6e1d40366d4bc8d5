/**
 * Counters behind the brute-force guard and the rate limits. In one process
 * they live in memory ({@link MemoryCounters}); several processes share a
 * Redis implementation (`redis-counters.ts`) so limits hold across them.
 *
 * @module
 */

/** Current time in unix ms; injected so tests can move time without sleeping. */
export type NowMs = () => number;

/**
 * Fixed-window counters and time-limited blocks, keyed by strings.
 *
 * Semantics every implementation must keep:
 * - `increment(key, windowMs)` adds one and returns the new count. The
 *   window starts at the first increment of a key with no live window and
 *   lasts `windowMs`; afterwards the key counts from zero again.
 * - `block(key, durationMs)` makes `isBlocked(key)` true for `durationMs`.
 * - `reset(key)` removes the count (not a block).
 *
 * @example
 * if ((await counters.increment(`rate:acct:${user}`, 60_000)) > limit) reply429();
 */
export interface Counters {
  increment(key: string, windowMs: number): Promise<number>;
  reset(key: string): Promise<void>;
  block(key: string, durationMs: number): Promise<void>;
  isBlocked(key: string): Promise<boolean>;
  /** Releases connections. */
  close(): Promise<void>;
}

interface Window {
  count: number;
  expiresAtMs: number;
}

/**
 * In-memory {@link Counters} with an injectable clock. Expired entries are
 * swept lazily so memory stays bounded by the keys active in one window.
 */
export class MemoryCounters implements Counters {
  readonly #windows = new Map<string, Window>();
  readonly #blocks = new Map<string, number>();
  readonly #now: NowMs;
  #nextSweepMs = 0;

  constructor(options: { now?: NowMs } = {}) {
    this.#now = options.now ?? Date.now;
  }

  async increment(key: string, windowMs: number): Promise<number> {
    return this.incrementSync(key, windowMs);
  }

  /** Synchronous form of {@link MemoryCounters.increment}. */
  incrementSync(key: string, windowMs: number): number {
    const now = this.#now();
    this.#sweep(now);
    const window = this.#windows.get(key);
    if (window === undefined || window.expiresAtMs <= now) {
      this.#windows.set(key, { count: 1, expiresAtMs: now + windowMs });
      return 1;
    }
    window.count++;
    return window.count;
  }

  async reset(key: string): Promise<void> {
    this.#windows.delete(key);
  }

  async block(key: string, durationMs: number): Promise<void> {
    this.#blocks.set(key, this.#now() + durationMs);
  }

  async isBlocked(key: string): Promise<boolean> {
    // Usually nothing is blocked: no key to hash then (this runs twice per send).
    if (this.#blocks.size === 0) return false;
    const until = this.#blocks.get(key);
    if (until === undefined) return false;
    if (until > this.#now()) return true;
    this.#blocks.delete(key);
    return false;
  }

  async close(): Promise<void> {
    this.#windows.clear();
    this.#blocks.clear();
  }

  #sweep(now: number): void {
    if (now < this.#nextSweepMs) return;
    this.#nextSweepMs = now + 10_000;
    for (const [key, window] of this.#windows) if (window.expiresAtMs <= now) this.#windows.delete(key);
    for (const [key, until] of this.#blocks) if (until <= now) this.#blocks.delete(key);
  }
}
