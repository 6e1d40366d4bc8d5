import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { describeResultCode, isRetryable, ResultCode, resultCodes } from "../../src/protocol/codes.js";
import { SendError } from "../../src/protocol/errors.js";

// The table of PROTOCOL.md: code, name as in the original, whether the sender retries.
const PROTOCOL_TABLE: readonly (readonly [number, string, boolean])[] = [
  [0, "NO_ERROR", false],
  [1, "DATABASE_ERROR", true],
  [2, "AUTH_ERROR", false],
  [3, "ILLEGAL_MSG_ERROR", false],
  [4, "GOOGLE_MSG_TOO_LARGE", false],
  [5, "GOOGLE_CONNECTION", true],
  [6, "GOOGLE_UNKNOWN", false],
  [7, "GOOGLE_AUTH", true],
  [8, "VERSION_MISSMATCH", false],
  [9, "NO_NOTIFICATION_PERMISSION", false],
  [10, "WEB_BRIDGE_ERROR", true],
  [0x1000, "CLIENT_CONNECTION_ERROR", true],
  [0x1001, "CLIENT_TIMEOUT_ERROR", true],
];

describe("result codes", () => {
  test("the table has the protocol's codes, names and retryable flags, in order", () => {
    assert.deepEqual(
      resultCodes.map((row) => [row.code, row.name, row.retryable]),
      PROTOCOL_TABLE.map((row) => [...row]),
    );
    for (const [code, name, retryable] of PROTOCOL_TABLE) {
      assert.equal(ResultCode[name as keyof typeof ResultCode], code);
      assert.equal(describeResultCode(code).name, name);
      assert.equal(isRetryable(code), retryable, name);
    }
  });

  test("every code has a meaning to show and a distinct exit status per failure class", () => {
    for (const row of resultCodes) {
      assert.ok(row.meaning.length > 0);
      assert.equal(row.exitStatus === 0, row.code === 0, row.name);
    }
    // Retryable failures all end as "gave up"; the non-retryable classes differ from each other.
    const retryableExits = new Set(resultCodes.filter((r) => r.retryable).map((r) => r.exitStatus));
    assert.equal(retryableExits.size, 1);
    const classes = [2, 3, 4, 8, 9].map((code) => describeResultCode(code).exitStatus);
    assert.equal(new Set([...classes, ...retryableExits]).size, classes.length + 1);
  });

  test("an unknown code is not retried and is reported with its number", () => {
    const unknown = describeResultCode(77);
    assert.equal(unknown.code, 77);
    assert.equal(unknown.name, "UNKNOWN");
    assert.equal(unknown.retryable, false);
    assert.match(unknown.meaning, /77/);
    assert.equal(isRetryable(-1), false);
  });

  test("SendError carries the numeric code, its name and the attempts", () => {
    const error = new SendError(5, 17);
    assert.equal(error.code, 5);
    assert.equal(error.attempts, 17);
    assert.equal(error.retryable, true);
    assert.match(error.message, /GOOGLE_CONNECTION/);
    assert.equal(new SendError(2, 1).retryable, false);
  });
});
