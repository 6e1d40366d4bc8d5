/**
 * `lightweight-push` run in-process through `runCli` with an injected
 * clock, against a real local push endpoint: the retry schedule and its
 * stderr lines are asserted exactly, without waiting.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { runCli } from "../../src/cli/cli.js";
import { startPushServer, TEST_PASSWORD, TEST_PREFIX, TEST_SECRET, TEST_USERNAME } from "./support/decrypting-push-server.js";
import { testIo } from "./support/test-io.js";

const env = {
  LIGHTWEIGHT_PUSH_USERNAME: TEST_USERNAME,
  LIGHTWEIGHT_PUSH_PASSWORD: TEST_PASSWORD,
  LIGHTWEIGHT_PUSH_SHARED_SECRET: TEST_SECRET,
};

function assertNoSecret(text: string): void {
  for (const secret of [TEST_PASSWORD, TEST_SECRET, "***"]) assert.ok(!text.includes(secret), text);
}

describe("lightweight-push retries (injected clock)", () => {
  test("waits 5 s, then 10 s, printing one warning line per retry, and succeeds on the third attempt", async () => {
    const server = await startPushServer([1, 7, 0]);
    try {
      const io = testIo({ env: { ...env, LIGHTWEIGHT_PUSH_ENDPOINT: server.endpoint } });
      const status = await runCli(["-c", "Retry", "--sbj", "S", "--msg", "M", "-m", "2", "-l", "INFO"], io);
      assert.equal(status, 0, io.err());
      assert.deepEqual(io.sleepsMs, [5000, 10000]);
      assert.equal(server.received.length, 3);
      assert.equal(
        io.err(),
        "lightweight-push: warning: attempt 1 of 3 failed (code 1, DATABASE_ERROR): the push server had a database error; retrying in 5 s\n" +
          "lightweight-push: warning: attempt 2 of 3 failed (code 7, GOOGLE_AUTH): the push server could not authenticate to its delivery service; retrying in 10 s\n" +
          `lightweight-push: info: sent to ${TEST_PREFIX}_Retry in 3 attempts\n`,
      );
      assert.equal(io.out(), "");
    } finally {
      await server.close();
    }
  });

  test("gives up with 75 when the last retry fails too, after the original schedule", async () => {
    const server = await startPushServer([5, 5, 5, 5]);
    try {
      const io = testIo({ env: { ...env, LIGHTWEIGHT_PUSH_ENDPOINT: server.endpoint, LIGHTWEIGHT_PUSH_MAX_RETRIES: "3" } });
      const status = await runCli(["-c", "C", "--sbj", "S", "--msg", "M"], io);
      assert.equal(status, 75);
      assert.deepEqual(io.sleepsMs, [5000, 10000, 20000]);
      assert.equal(server.received.length, 4);
      const lines = io.err().trim().split("\n");
      assert.equal(lines.length, 4, io.err());
      assert.match(lines[2]!, /attempt 3 of 4 failed .*retrying in 20 s$/);
      assert.equal(
        lines[3],
        "lightweight-push: gave up after 4 attempts (code 5, GOOGLE_CONNECTION): the push server could not reach its delivery service",
      );
    } finally {
      await server.close();
    }
  });

  test("-m -1 keeps retrying past the default 16; -l ERROR hides the retry lines but not the outcome", async () => {
    const codes = Array.from({ length: 20 }, () => 10);
    const server = await startPushServer(codes);
    try {
      const io = testIo({ env: { ...env, LIGHTWEIGHT_PUSH_ENDPOINT: server.endpoint } });
      const status = await runCli(["-c", "C", "--sbj", "S", "--msg", "M", "-m", "-1", "-l", "ERROR"], io);
      assert.equal(status, 0);
      assert.equal(server.received.length, 21);
      assert.equal(io.sleepsMs.length, 20);
      assert.equal(io.sleepsMs.at(-1), 86_400_000, "capped at one day");
      assert.equal(io.err(), "");
    } finally {
      await server.close();
    }
  });

  test("an interrupt during a retry wait stops at once with 130", async () => {
    const server = await startPushServer([5]);
    try {
      const io = testIo({ env: { ...env, LIGHTWEIGHT_PUSH_ENDPOINT: server.endpoint }, blockSleeps: true });
      const running = runCli(["-c", "C", "--sbj", "S", "--msg", "M", "-l", "DEBUG"], io);
      for (let i = 0; i < 400 && io.sleepsMs.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
      io.abort(new Error("SIGINT"));
      assert.equal(await running, 130);
      assert.equal(server.received.length, 1);
      assert.match(io.err(), /interrupted; the message may not have been sent/);
      assertNoSecret(io.err());
    } finally {
      await server.close();
    }
  });

  test("a message over the size limit is sent truncated, with a warning", async () => {
    const server = await startPushServer([0]);
    try {
      const io = testIo({ env: { ...env, LIGHTWEIGHT_PUSH_ENDPOINT: server.endpoint }, stdin: "x".repeat(2000) });
      const status = await runCli(["-c", "C", "--sbj", "Long"], io);
      assert.equal(status, 0, io.err());
      assert.match(io.err(), /warning: subject or message was cut to fit the 1400-character limit/);
      assert.ok(server.received[0]?.payload?.msg.endsWith("*TRUNC*"));
    } finally {
      await server.close();
    }
  });

  test("with stdin a terminal and no --msg, it asks for a message (64) and sends nothing", async () => {
    const server = await startPushServer([0]);
    try {
      const io = testIo({ env: { ...env, LIGHTWEIGHT_PUSH_ENDPOINT: server.endpoint } });
      const status = await runCli(["-c", "C", "--sbj", "S"], io);
      assert.equal(status, 64);
      assert.equal(io.err(), "lightweight-push: no message given: use --msg MESSAGE or pipe the message on stdin\n");
      assert.equal(server.received.length, 0);
    } finally {
      await server.close();
    }
  });
});
