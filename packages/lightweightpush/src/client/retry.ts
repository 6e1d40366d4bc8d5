/**
 * The retry schedule of the original client: 5 s, doubling, capped at one day.
 *
 * @module
 */

/** First wait, in milliseconds. */
export const FIRST_RETRY_DELAY_MS = 5_000;
/** Longest wait, in milliseconds. */
export const MAX_RETRY_DELAY_MS = 86_400_000;
/** Retries after the first attempt, by default. */
export const DEFAULT_MAX_RETRIES = 16;

/** The wait before retry number `retry` (0-based). */
export function retryDelayMs(retry: number): number {
  // Past 2^15 the cap has long been reached; avoid overflowing the power.
  return Math.min(FIRST_RETRY_DELAY_MS * 2 ** Math.min(retry, 20), MAX_RETRY_DELAY_MS);
}
