import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DEFAULT_MAX_RETRIES, retryDelayMs } from "../../src/client/retry.js";

describe("retry schedule", () => {
  test("waits 5 s, doubling each time, capped at one day", () => {
    const seconds = Array.from({ length: 20 }, (_, retry) => retryDelayMs(retry) / 1000);
    assert.deepEqual(
      seconds,
      [5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 5120, 10240, 20480, 40960, 81920, 86400, 86400, 86400, 86400, 86400],
    );
  });

  test("stays at the cap for any number of retries (retrying forever never overflows)", () => {
    for (const retry of [16, 100, 1_000, 1_000_000, Number.MAX_SAFE_INTEGER]) assert.equal(retryDelayMs(retry), 86_400_000, String(retry));
  });

  test("retries 16 times by default, as the original", () => {
    assert.equal(DEFAULT_MAX_RETRIES, 16);
  });
});
