/**
 * When to try a failed delivery again: exponential backoff as data, plus
 * the clock and timers the outbox runs on, injected so tests move time
 * without sleeping.
 *
 * @module
 */

/** Backoff of outbox retries. */
export interface RetryPolicy {
  /** Wait before the first retry, ms. @default 5000 (as the AlertR client) */
  readonly initialDelayMs: number;
  /** Each further retry waits this many times longer. @default 2 */
  readonly multiplier: number;
  /** Longest wait between two attempts, ms. @default 3600000 (1 h) */
  readonly maxDelayMs: number;
  /** Attempts in all, after which a retryable failure is dropped too. @default 20 (about 11 h) */
  readonly maxAttempts: number;
  /**
   * A message accepted longer ago than this is not delivered any more (an
   * alarm from yesterday should not wake a phone today), e.g. after a
   * delivery path was off for a while, ms. @default 86400000 (24 h)
   */
  readonly maxMessageAgeMs: number;
}

/** The defaults of {@link RetryPolicy}. */
export const defaultRetryPolicy: RetryPolicy = Object.freeze({
  initialDelayMs: 5000,
  multiplier: 2,
  maxDelayMs: 3_600_000,
  maxAttempts: 20,
  maxMessageAgeMs: 86_400_000,
});

/**
 * The wait after failed attempt number `attempts` (1 = the first), at least
 * the service's `Retry-After` when it sent one, never above the cap.
 *
 * @example
 * retryDelayMs(defaultRetryPolicy, 1) // 5000
 * retryDelayMs(defaultRetryPolicy, 3) // 20000
 */
export function retryDelayMs(policy: RetryPolicy, attempts: number, retryAfterMs?: number): number {
  const exponential = policy.initialDelayMs * policy.multiplier ** Math.max(0, attempts - 1);
  return Math.min(policy.maxDelayMs, Math.max(exponential, retryAfterMs ?? 0));
}

/** Reads a `Retry-After` header (seconds or an HTTP date) as ms from `nowMs`; `undefined` when absent or invalid. */
export function parseRetryAfterMs(header: string | null | undefined, nowMs: number): number | undefined {
  if (header === null || header === undefined || header.trim() === "") return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** The clock and timers of the outbox. */
export interface DeliveryClock {
  /** Current time, unix ms. */
  now(): number;
  /** Calls `callback` once after `delayMs` of this clock's time; returns a handle for {@link DeliveryClock.clearTimer}. */
  setTimer(callback: () => void, delayMs: number): unknown;
  clearTimer(handle: unknown): void;
}

/** The real clock. Timers are unref'd: pending retries alone do not keep the process alive. */
export const systemClock: DeliveryClock = {
  now: () => Date.now(),
  setTimer(callback, delayMs) {
    // setTimeout's limit is 2^31-1 ms; a later wake just re-arms.
    const timer = setTimeout(callback, Math.min(Math.max(0, delayMs), 2_147_483_647));
    timer.unref();
    return timer;
  },
  clearTimer(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};
