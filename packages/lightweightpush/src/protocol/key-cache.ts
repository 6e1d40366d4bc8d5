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

  get(cacheKey: string, derive: () => Promise<T>): Promise<T> {
    let entry = this.#entries.get(cacheKey);
    if (entry) return entry;
    entry = derive();
    entry.catch(() => this.#entries.delete(cacheKey));
    if (this.#entries.size >= MAX_ENTRIES) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(cacheKey, entry);
    return entry;
  }
}
