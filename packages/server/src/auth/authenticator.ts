/**
 * Authentication of senders: bcrypt against the stored hash, a short-lived
 * cache so that a busy sender does not cost a bcrypt per message, and the
 * brute-force guard per (account, client address).
 *
 * @module
 */
import * as crypto from "node:crypto";
import type { Account, Storage } from "../storage/storage.js";
import type { Counters, NowMs } from "./counters.js";
import { hashPassword, verifyPassword } from "./password.js";

/** Settings of an {@link Authenticator}. */
export interface AuthenticatorOptions {
  readonly storage: Storage;
  readonly counters: Counters;
  /** @default Date.now */
  readonly now?: NowMs;
  /** How long a verified password is remembered, ms; 0 turns the cache off. */
  readonly cacheTtlMs: number;
  /** Failures per (account, address) within `failureWindowMs` that block. */
  readonly maxFailures: number;
  readonly failureWindowMs: number;
  readonly blockMs: number;
  /** Failures from one address over all accounts within `failureWindowMs` that block the address; 0 = off. @default 0 */
  readonly addressMaxFailures?: number;
  /** Cost of the dummy hash verified for unknown accounts; match the real hashes' cost. */
  readonly dummyHashCost: number;
  /** Called for every bcrypt verification actually run (for metrics). */
  readonly onVerification?: () => void;
  /**
   * Most remembered accounts; the oldest entries are forgotten beyond it.
   * @default 10000
   */
  readonly maxCacheEntries?: number;
}

/** Why an authentication failed; for logs and metrics only, never for the reply. */
export type AuthFailure = "blocked" | "unknown-account" | "inactive" | "wrong-password";

/** Outcome of {@link Authenticator.authenticate}. */
export type AuthResult =
  | { readonly ok: true; readonly account: Account }
  | { readonly ok: false; readonly failure: AuthFailure; readonly blockedNow: boolean };

interface CacheEntry {
  /** Keyed fingerprint of (username, password), base64. */
  readonly mac: string;
  /** The hash the password was verified against: any change invalidates the entry. */
  readonly passwordHash: string;
  readonly expiresAtMs: number;
}

/**
 * Checks (username, password) pairs.
 *
 * The account is asked of the storage for every request (requests arriving
 * in the same event-loop turn share the answer), and the storage answers
 * with the current row, so a password change or a disable made by another
 * process (the `user` command) takes effect at once: a cache entry counts
 * only while the stored hash is the one it was verified against and the
 * account is active. The cache holds a keyed SHA-256
 * fingerprint of the password under a random per-process key, never the
 * password.
 *
 * @example
 * const result = await auth.authenticate("a@example.org", password, "192.0.2.1");
 * if (!result.ok) reply({ Code: ResultCode.AUTH_ERROR });
 */
export class Authenticator {
  readonly #options: AuthenticatorOptions;
  readonly #now: NowMs;
  /** Hex, so that it prefixes the fingerprinted text as a fixed 64-byte (one SHA-256 block) ASCII key. */
  readonly #macKey = crypto.randomBytes(32).toString("hex");
  readonly #cache = new Map<string, CacheEntry>();
  readonly #inflight = new Map<string, Promise<boolean>>();
  readonly #turnAccounts = new Map<string, Promise<Account | undefined>>();
  readonly #maxCacheEntries: number;
  #dummyHash: Promise<string> | undefined;

  constructor(options: AuthenticatorOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#maxCacheEntries = options.maxCacheEntries ?? 10_000;
  }

  /** Computes the dummy hash now rather than on the first unknown account. */
  async warmUp(): Promise<void> {
    await this.#dummy();
  }

  async authenticate(username: string, password: string, address: string): Promise<AuthResult> {
    const guardKey = `${username}\u0000${address}`;
    const counters = this.#options.counters;
    const addressLimit = this.#options.addressMaxFailures ?? 0;
    if (await counters.isBlocked(`bf-block:${guardKey}`)) return { ok: false, failure: "blocked", blockedNow: false };
    if (addressLimit > 0 && (await counters.isBlocked(`bf-block-addr:${address}`))) {
      return { ok: false, failure: "blocked", blockedNow: false };
    }

    const account = await this.#readAccount(username);
    const mac = this.#mac(username, password);
    if (account?.active === true && this.#cacheHit(username, mac, account.passwordHash)) return { ok: true, account };

    // Unknown accounts are checked against a dummy hash so that they cost the same time as known ones.
    const passwordHash = account?.passwordHash ?? (await this.#dummy());
    const matches = await this.#verify(username, mac, password, passwordHash);
    if (account !== undefined && matches && account.active) {
      this.#remember(username, mac, account.passwordHash);
      await counters.reset(`bf-fail:${guardKey}`);
      return { ok: true, account };
    }

    const failure: AuthFailure = account === undefined ? "unknown-account" : !matches ? "wrong-password" : "inactive";
    const failures = await counters.increment(`bf-fail:${guardKey}`, this.#options.failureWindowMs);
    let blockedNow = false;
    if (failures >= this.#options.maxFailures) {
      await counters.block(`bf-block:${guardKey}`, this.#options.blockMs);
      await counters.reset(`bf-fail:${guardKey}`);
      blockedNow = true;
    }
    if (addressLimit > 0) {
      const addressFailures = await counters.increment(`bf-fail-addr:${address}`, this.#options.failureWindowMs);
      if (addressFailures >= addressLimit) {
        await counters.block(`bf-block-addr:${address}`, this.#options.blockMs);
        await counters.reset(`bf-fail-addr:${address}`);
        blockedNow = true;
      }
    }
    return { ok: false, failure, blockedNow };
  }

  /** Forgets every remembered password (e.g. after an administrative change in this process). */
  clearCache(): void {
    this.#cache.clear();
  }

  /**
   * The account row, read once per event-loop turn and account: requests
   * parsed in the same turn share one read, which is as fresh as a read per
   * request (they are microseconds apart) and saves most reads under load.
   */
  #readAccount(username: string): Promise<Account | undefined> {
    let read = this.#turnAccounts.get(username);
    if (read === undefined) {
      if (this.#turnAccounts.size === 0) setImmediate(() => this.#turnAccounts.clear());
      read = this.#options.storage.getAccount(username);
      this.#turnAccounts.set(username, read);
    }
    return read;
  }

  /**
   * SHA-256 over the secret key, username and password: it is only ever
   * compared in memory, never shown, so the length extension HMAC guards
   * against does not apply, and one-shot `crypto.hash` costs about a tenth
   * of a `createHmac` object per request (4 us of the send path's CPU).
   */
  #mac(username: string, password: string): string {
    const text = `${this.#macKey}${username}\u0000${password}`;
    return oneShotHash !== undefined ? oneShotHash("sha256", text, "base64") : crypto.createHash("sha256").update(text).digest("base64");
  }

  #cacheHit(username: string, mac: string, passwordHash: string): boolean {
    const entry = this.#cache.get(username);
    if (entry === undefined) return false;
    if (entry.expiresAtMs <= this.#now() || entry.passwordHash !== passwordHash) {
      this.#cache.delete(username);
      return false;
    }
    return equalInConstantTime(entry.mac, mac);
  }

  #remember(username: string, mac: string, passwordHash: string): void {
    if (this.#options.cacheTtlMs <= 0) return;
    this.#cache.delete(username);
    this.#cache.set(username, { mac, passwordHash, expiresAtMs: this.#now() + this.#options.cacheTtlMs });
    if (this.#cache.size > this.#maxCacheEntries) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
  }

  /** One bcrypt per distinct (account, password, hash) at a time: concurrent first sends share it. */
  #verify(username: string, mac: string, password: string, passwordHash: string): Promise<boolean> {
    const key = `${username}\u0000${mac}\u0000${passwordHash}`;
    let pending = this.#inflight.get(key);
    if (pending === undefined) {
      this.#options.onVerification?.();
      pending = verifyPassword(password, passwordHash).finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, pending);
    }
    return pending;
  }

  #dummy(): Promise<string> {
    this.#dummyHash ??= hashPassword(crypto.randomBytes(16).toString("hex"), this.#options.dummyHashCost);
    return this.#dummyHash;
  }
}

/** `crypto.hash` (Node 20.12+); older Node falls back to `createHash`. */
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, outputEncoding: "base64") => string }).hash;

/** Compares two fingerprints of equal length without an early exit. */
function equalInConstantTime(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}
