/**
 * The outbox's waits: exponential from 5 s, capped, and never shorter than
 * what the service asked for with `Retry-After` (seconds or an HTTP date).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultRetryPolicy, retryDelayMs } from "../../src/delivery/index.js";
import { parseRetryAfterMs } from "../../src/delivery/retry-policy.js";

test("waits 5 s, then twice as long each time, up to one hour", () => {
  assert.deepEqual(
    [1, 2, 3, 4, 10, 11, 19].map((attempts) => retryDelayMs(defaultRetryPolicy, attempts)),
    [5000, 10_000, 20_000, 40_000, 2_560_000, 3_600_000, 3_600_000],
  );
});

test("a Retry-After longer than the backoff wins, still capped", () => {
  assert.equal(retryDelayMs(defaultRetryPolicy, 1, 60_000), 60_000);
  assert.equal(retryDelayMs(defaultRetryPolicy, 3, 1000), 20_000);
  assert.equal(retryDelayMs(defaultRetryPolicy, 1, 86_400_000), 3_600_000);
});

test("reads Retry-After as seconds or as an HTTP date", () => {
  const now = Date.parse("2026-12-04T12:00:00Z");
  assert.equal(parseRetryAfterMs("120", now), 120_000);
  assert.equal(parseRetryAfterMs("Fri, 04 Dec 2026 12:01:30 GMT", now), 90_000);
  assert.equal(parseRetryAfterMs("Fri, 04 Dec 2026 11:00:00 GMT", now), 0);
  assert.equal(parseRetryAfterMs("soon", now), undefined);
  assert.equal(parseRetryAfterMs(null, now), undefined);
});
