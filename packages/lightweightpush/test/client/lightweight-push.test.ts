/**
 * The client against a real HTTP server on 127.0.0.1, with an injected
 * clock so that retry waits are asserted without waiting.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { LightweightPush, type LightweightPushOptions, type RetryInfo } from "../../src/client/lightweight-push.js";
import { nodeCryptoBackend } from "../../src/client/node-crypto.js";
import { retryDelayMs } from "../../src/client/retry.js";
import { ResultCode, resultCodes } from "../../src/protocol/codes.js";
import { webCryptoBackend } from "../../src/protocol/crypto.js";
import { InvalidInputError, SendError } from "../../src/protocol/errors.js";
import { openMessage } from "../../src/protocol/message.js";
import { type LocalPushServer, type ScriptedReply, startLocalPushServer } from "./support/local-push-server.js";
import { ManualClock } from "./support/manual-clock.js";
import { waitFor } from "./support/wait-for.js";

const USERNAME = "my_email@alertr.de";
const PASSWORD = "super_secret_password";
const SECRET = "shared_secret_to_encrypt_msg";
const START_MS = 1_764_860_000_000;
const OK: ScriptedReply = [200, '{"Code": 0}'];
const code = (n: number): ScriptedReply => [200, `{"Code": ${n}}`];

async function withServer(
  replies: readonly ScriptedReply[] | ((index: number) => ScriptedReply),
  run: (server: LocalPushServer) => Promise<void>,
): Promise<void> {
  const server = await startLocalPushServer({ replies });
  try {
    await run(server);
  } finally {
    await server.close();
  }
}

function client(server: LocalPushServer, clock: ManualClock, options: LightweightPushOptions = {}): LightweightPush {
  return new LightweightPush(USERNAME, PASSWORD, SECRET, { endpoint: server.endpoint, clock, ...options });
}

/** The rejection of a promise that must reject. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => assert.fail("expected the send to fail"),
    (error: unknown) => error,
  );
}

describe("LightweightPush.sendMsg", () => {
  test("resolves with a receipt: attempts, prefixed channel, truncation", async () => {
    await withServer([code(1), OK, OK], async (server) => {
      const clock = new ManualClock(START_MS);
      const push = client(server, clock);
      assert.deepEqual(await push.sendMsg("Subject", "Text", "MyChannel"), {
        attempts: 2,
        channel: "538113b2_MyChannel",
        truncated: false,
      });
      assert.deepEqual(await push.sendMsg("Long", "x".repeat(5000), "MyChannel"), {
        attempts: 1,
        channel: "538113b2_MyChannel",
        truncated: true,
      });
      assert.equal(server.requests.length, 3);
    });
  });

  test("retries 16 times by default, waiting 5 s doubling up to one day, then fails with the last code", async () => {
    await withServer(
      () => code(5),
      async (server) => {
        const clock = new ManualClock(START_MS);
        const error = await rejection(client(server, clock).sendMsg("s", "m", "x"));
        assert.ok(error instanceof SendError);
        assert.equal(error.code, ResultCode.GOOGLE_CONNECTION);
        assert.equal(error.attempts, 17);
        assert.equal(server.requests.length, 17);
        assert.deepEqual(clock.sleepsSeconds, [5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 5120, 10240, 20480, 40960, 81920, 86400]);
      },
    );
  });

  test("maxRetries -1 retries forever (until aborted), staying at the one-day cap", async () => {
    await withServer(
      () => code(1),
      async (server) => {
        const clock = new ManualClock(START_MS);
        const controller = new AbortController();
        const retries: RetryInfo[] = [];
        const error = await rejection(
          client(server, clock).sendMsg("s", "m", "x", {
            maxRetries: -1,
            signal: controller.signal,
            onRetry: (info) => {
              retries.push(info);
              if (info.attempt === 30) controller.abort(new Error("enough"));
            },
          }),
        );
        assert.equal((error as Error).message, "enough");
        assert.equal(server.requests.length, 30);
        assert.equal(retries.length, 30);
        assert.deepEqual(
          clock.sleepsMs,
          Array.from({ length: 29 }, (_, retry) => retryDelayMs(retry)),
        );
        assert.deepEqual(clock.sleepsSeconds.slice(15), Array(14).fill(86400));
      },
    );
  });

  test("maxRetries 0 makes exactly one attempt", async () => {
    await withServer([code(7), OK], async (server) => {
      const clock = new ManualClock(START_MS);
      const error = await rejection(client(server, clock).sendMsg("s", "m", "x", { maxRetries: 0 }));
      assert.ok(error instanceof SendError);
      assert.equal(error.code, ResultCode.GOOGLE_AUTH);
      assert.equal(error.attempts, 1);
      assert.equal(server.requests.length, 1);
      assert.deepEqual(clock.sleepsMs, []);
    });
  });

  test("retries exactly the codes the table marks retryable", async () => {
    for (const row of resultCodes) {
      if (row.code === 0 || row.code >= 0x1000) continue; // client-side codes are tested below
      await withServer([code(row.code), OK], async (server) => {
        const clock = new ManualClock(START_MS);
        const sent = client(server, clock).sendMsg("s", "m", "x", { maxRetries: 1 });
        if (row.retryable) {
          assert.equal((await sent).attempts, 2, row.name);
          assert.deepEqual(clock.sleepsSeconds, [5]);
        } else {
          const error = await rejection(sent);
          assert.ok(error instanceof SendError, row.name);
          assert.equal(error.code, row.code);
          assert.equal(server.requests.length, 1, row.name);
        }
      });
    }
  });

  test("onRetry reports each failed attempt, its code and the wait before the next", async () => {
    await withServer([code(1), code(5), [502, "Bad Gateway"], OK], async (server) => {
      const clock = new ManualClock(START_MS);
      const retries: RetryInfo[] = [];
      const receipt = await client(server, clock).sendMsg("s", "m", "x", { onRetry: (info) => retries.push(info) });
      assert.equal(receipt.attempts, 4);
      assert.deepEqual(retries, [
        { attempt: 1, code: 1, delayMs: 5000 },
        { attempt: 2, code: 5, delayMs: 10000 },
        { attempt: 3, code: 10, delayMs: 20000 },
      ]);
      assert.deepEqual(clock.sleepsMs, [5000, 10000, 20000]);
    });
  });

  test("an attempt that gets no answer within timeoutMs ends with CLIENT_TIMEOUT_ERROR and is retried", async () => {
    await withServer(["hang", "hang"], async (server) => {
      const clock = new ManualClock(START_MS);
      const error = await rejection(client(server, clock).sendMsg("s", "m", "x", { timeoutMs: 300, maxRetries: 1 }));
      assert.ok(error instanceof SendError);
      assert.equal(error.code, ResultCode.CLIENT_TIMEOUT_ERROR);
      assert.equal(error.attempts, 2);
      // On a very busy machine an attempt may time out before its request has fully arrived.
      assert.ok(server.requests.length <= 2);
      assert.deepEqual(clock.sleepsSeconds, [5]);
    });
  });

  test("a refused connection is CLIENT_CONNECTION_ERROR", async () => {
    const server = await startLocalPushServer({ replies: [] });
    await server.close(); // nothing listens on that port any more
    const clock = new ManualClock(START_MS);
    const error = await rejection(client(server, clock).sendMsg("s", "m", "x", { maxRetries: 0 }));
    assert.ok(error instanceof SendError);
    assert.equal(error.code, ResultCode.CLIENT_CONNECTION_ERROR);
  });

  test("an AbortSignal cancels a retry wait on the injected clock", async () => {
    await withServer([code(5), OK], async (server) => {
      const clock = new ManualClock(START_MS, { blockSleeps: true });
      const controller = new AbortController();
      const sent = client(server, clock).sendMsg("s", "m", "x", { signal: controller.signal });
      await waitFor(() => clock.sleepsMs.length === 1, "the retry wait");
      controller.abort(new Error("stopped by the user"));
      const error = await rejection(sent);
      assert.equal((error as Error).message, "stopped by the user");
      assert.equal(server.requests.length, 1);
    });
  });

  test("an AbortSignal cancels a retry wait on the real clock (no second attempt after 5 s)", async () => {
    await withServer([code(5), OK], async (server) => {
      const controller = new AbortController();
      let retried = false;
      const push = new LightweightPush(USERNAME, PASSWORD, SECRET, { endpoint: server.endpoint });
      const sent = push.sendMsg("s", "m", "x", { signal: controller.signal, onRetry: () => (retried = true) });
      await waitFor(() => retried, "the first retry");
      controller.abort();
      const error = await rejection(sent);
      assert.equal((error as Error).name, "AbortError");
      assert.equal(server.requests.length, 1);
    });
  });

  test("an AbortSignal cancels an attempt in flight, and an aborted signal sends nothing", async () => {
    await withServer(["hang", OK], async (server) => {
      const clock = new ManualClock(START_MS);
      const controller = new AbortController();
      const sent = client(server, clock).sendMsg("s", "m", "x", { signal: controller.signal });
      await waitFor(() => server.requests.length === 1, "the first request");
      controller.abort(new Error("stop"));
      assert.equal(((await rejection(sent)) as Error).message, "stop");
      assert.deepEqual(clock.sleepsMs, [], "an abort is not a failure to retry");

      const error = await rejection(client(server, clock).sendMsg("s", "m", "x", { signal: AbortSignal.abort(new Error("early")) }));
      assert.equal((error as Error).message, "early");
      assert.equal(server.requests.length, 1);
    });
  });

  test("bad channel, state, time or retry count are refused before anything is sent", async () => {
    await withServer([OK], async (server) => {
      const push = client(server, new ManualClock(START_MS));
      const refused = [
        push.sendMsg("s", "m", "my channel"),
        push.sendMsg("s", "m", ""),
        push.sendMsg("s", "m", "x", { state: 2 as never }),
        push.sendMsg("s", "m", "x", { timeTriggered: -1 }),
        push.sendMsg("s", "m", "x", { timeTriggered: 1.5 }),
        push.sendMsg("s", "m", "x", { maxRetries: -2 }),
        push.sendMsg("s", "m", "x", { maxRetries: 1.5 }),
        push.sendMsg("s", "m", "x", { timeoutMs: 0 }),
        push.sendMsg(5 as never, "m", "x"),
      ];
      for (const [index, promise] of refused.entries()) assert.ok((await rejection(promise)) instanceof InvalidInputError, String(index));
      assert.equal(server.requests.length, 0);
      assert.throws(() => new LightweightPush(USERNAME, PASSWORD, SECRET, { envelope: 3 as never }), InvalidInputError);
    });
  });

  test("errors never carry the password or the shared secret", async () => {
    await withServer([code(2)], async (server) => {
      const error = await rejection(client(server, new ManualClock(START_MS)).sendMsg("s", "m", "x"));
      const text = `${String(error)} ${JSON.stringify(error)} ${(error as Error).stack}`;
      assert.ok(!text.includes(PASSWORD) && !text.includes(SECRET));
    });
  });

  test("envelope 2: the frame carries v2 data that opens on the prefixed channel, fresh per attempt, one id per message", async () => {
    await withServer([code(10), OK], async (server) => {
      const clock = new ManualClock(START_MS);
      await client(server, clock, { envelope: 2 }).sendMsg("Door", "Opened", "MyChannel", { state: 1 });
      const opened = [];
      for (const request of server.requests) {
        const frame = JSON.parse(request.frame ?? "") as { channel: string; data: string };
        assert.equal(frame.channel, "538113b2_MyChannel");
        assert.match(frame.data, /^v2\./);
        opened.push(await openMessage(frame.data, frame.channel, { username: USERNAME, sharedSecret: SECRET, crypto: webCryptoBackend() }));
      }
      assert.deepEqual(
        opened.map(({ id: _id, ...rest }) => rest),
        [
          { sbj: "Door", msg: "Opened", tt: 1764860000, is_sa: true, st: 1, ts: 1764860000 },
          { sbj: "Door", msg: "Opened", tt: 1764860000, is_sa: true, st: 1, ts: 1764860005 },
        ],
      );
      // A receiver that saw the first attempt drops the retry by its id.
      assert.match(opened[0]?.id ?? "", /^[0-9a-f]{32}$/);
      assert.equal(opened[1]?.id, opened[0]?.id);
      const frames = server.requests.map((request) => request.frame);
      assert.notEqual(frames[0], frames[1], "each attempt is sealed with a fresh nonce");
    });
  });

  test("an injected fetch sends the same request and gets the same outcomes", async () => {
    await withServer([code(1), OK, "hang"], async (server) => {
      const clock = new ManualClock(START_MS);
      const push = client(server, clock, { fetch: globalThis.fetch, crypto: nodeCryptoBackend });
      assert.equal((await push.sendMsg("s", "m", "x")).attempts, 2);
      assert.equal(server.requests[0]?.contentType, "application/x-www-form-urlencoded");
      assert.match(
        server.requests[0]?.frame ?? "",
        /^\{"username": "my_email@alertr\.de", "password": "super_secret_password", "channel": "[0-9a-f]{8}_x", "version": 0\.1, "data": "/,
      );
      const timeout = await rejection(push.sendMsg("s", "m", "x", { timeoutMs: 200, maxRetries: 0 }));
      assert.equal((timeout as SendError).code, ResultCode.CLIENT_TIMEOUT_ERROR);
      const failing = client(server, clock, { fetch: () => Promise.reject(new TypeError("fetch failed")) });
      const refused = await rejection(failing.sendMsg("s", "m", "x", { maxRetries: 0 }));
      assert.equal((refused as SendError).code, ResultCode.CLIENT_CONNECTION_ERROR);
    });
  });
});

describe("new LightweightPush", () => {
  test("refuses an endpoint that is not an http(s) URL, without echoing it", () => {
    for (const endpoint of ["not a url", "ftp://push.example.org/send", "push.alertr.de/push/send.php", ""]) {
      assert.throws(
        () => new LightweightPush(USERNAME, PASSWORD, SECRET, { endpoint }),
        (error: unknown) => error instanceof InvalidInputError && (endpoint === "" || !error.message.includes(endpoint)),
        endpoint,
      );
    }
    assert.ok(new LightweightPush(USERNAME, PASSWORD, SECRET, { endpoint: "http://127.0.0.1:1/x" }));
    assert.ok(new LightweightPush(USERNAME, PASSWORD, SECRET));
  });
});
