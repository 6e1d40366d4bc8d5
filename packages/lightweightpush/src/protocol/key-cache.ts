/**
 * A small bounded cache of derived keys, so that SHA-256 (v1) and PBKDF2
 * (v2) run once per secret rather than once per message. Failed
 * derivations are not kept.
 *
 * @module
 */

const MAX_ENTRIES = 64;

/** A bounded map from a cache key to a derived value, evicting the oldest entry. */
export class KeyCache<T> {
  readonly #entries = new Map<string, Promise<T>>();
  /** Values already derived, for callers that can go on without awaiting. */
  readonly #derived = new Map<string, T>();

  get(cacheKey: string, derive: () => Promise<T>): Promise<T> {
    let entry = this.#entries.get(cacheKey);
    if (entry) return entry;
    entry = derive();
    const pending = entry;
    entry.then(
      (value) => {
        if (this.#entries.get(cacheKey) === pending) this.#derived.set(cacheKey, value);
      },
      () => this.#entries.delete(cacheKey),
    );
    if (this.#entries.size >= MAX_ENTRIES) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) {
        this.#entries.delete(oldest);
        this.#derived.delete(oldest);
      }
    }
    this.#entries.set(cacheKey, entry);
    return entry;
  }

  /** The derived value, if a derivation for this key has finished and is still cached. */
  peek(cacheKey: string): T | undefined {
    return this.#derived.get(cacheKey);
  }
}
