import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, test } from "node:test";
import { reconnectDelayMs, runChannelStream, StreamFatalError, type StreamStatus } from "../../src/cli/listen-stream.js";
import type { Clock } from "../../src/client/clock.js";
import type { SseEvent } from "../../src/receiver/sse-parser.js";

/** A clock whose sleeps return at once and are recorded; aborts the stream after `maxSleeps`. */
function recordingClock(controller: AbortController, maxSleeps: number): Clock & { sleeps: number[] } {
  const sleeps: number[] = [];
  return {
    sleeps,
    nowMs: () => 1_764_850_000_000,
    sleep: async (ms) => {
      sleeps.push(ms);
      if (sleeps.length >= maxSleeps) controller.abort();
    },
  };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A port nothing listens on. */
async function refusedPortUrl(): Promise<string> {
  const server = createServer();
  const url = await listen(server);
  await close(server);
  return url;
}

function sseHead(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "text/event-stream", date: "Thu, 04 Dec 2025 12:00:00 GMT" });
}

describe("reconnectDelayMs", () => {
  test("doubles from the initial delay, caps, and jitters between half and all of it", () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 6, 7].map((n) => reconnectDelayMs(n, 0.999999, 1000, 30_000)),
      [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000],
    );
    assert.deepEqual(
      [0, 1, 5, 100].map((n) => reconnectDelayMs(n, 0, 1000, 30_000)),
      [500, 1000, 15000, 15000],
    );
    assert.equal(reconnectDelayMs(2, 0.5, 1000, 30_000), 3000);
  });
});

describe("runChannelStream", () => {
  test("backs off exponentially with jitter while the server is unreachable, then stops on abort", async () => {
    const controller = new AbortController();
    const clock = recordingClock(controller, 6);
    const statuses: StreamStatus[] = [];
    await runChannelStream({
      url: `${await refusedPortUrl()}/v1/channels/x_y/events`,
      clock,
      jitter: () => 0.5,
      reconnectInitialDelayMs: 1000,
      reconnectMaxDelayMs: 10_000,
      signal: controller.signal,
      onEvent: () => assert.fail("no events expected"),
      onStatus: (s) => statuses.push(s),
    });
    assert.deepEqual(clock.sleeps, [750, 1500, 3000, 6000, 7500, 7500]);
    assert.deepEqual(
      statuses.map((s) => (s.kind === "reconnecting" ? `${s.attempt}:${s.reason}` : s.kind)),
      [
        "1:connection refused",
        "2:connection refused",
        "3:connection refused",
        "4:connection refused",
        "5:connection refused",
        "6:connection refused",
      ],
    );
  });

  test("resumes with Last-Event-ID after the stream breaks, and starts with ?since= only the first time", async () => {
    const requests: { url: string; lastEventId: string | undefined }[] = [];
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      requests.push({ url: req.url ?? "", lastEventId: req.headers["last-event-id"] as string | undefined });
      sseHead(res);
      if (requests.length === 1) {
        res.write(': heartbeat\n\nid: 7\nevent: message\ndata: {"n":1}\n\n');
        res.end('id: 8\nevent: message\ndata: {"n":2}\n\n');
      } else {
        res.end('id: 9\nevent: message\ndata: {"n":3}\n\n');
      }
    });
    const base = await listen(server);
    try {
      const controller = new AbortController();
      const clock = recordingClock(controller, 2);
      const events: SseEvent[] = [];
      const statuses: string[] = [];
      await runChannelStream({
        url: `${base}/v1/channels/abc_Door/events`,
        since: "all",
        clock,
        jitter: () => 0,
        signal: controller.signal,
        onEvent: (e) => events.push(e),
        onStatus: (s) => statuses.push(s.kind === "connected" ? `connected:${s.reconnect}` : `reconnecting:${s.reason}`),
      });
      assert.deepEqual(
        events.map((e) => [e.id, e.data]),
        [
          ["7", '{"n":1}'],
          ["8", '{"n":2}'],
          ["9", '{"n":3}'],
        ],
      );
      assert.deepEqual(requests, [
        { url: "/v1/channels/abc_Door/events?since=all", lastEventId: undefined },
        { url: "/v1/channels/abc_Door/events", lastEventId: "8" },
      ]);
      assert.deepEqual(statuses, [
        "connected:false",
        "reconnecting:the server closed the stream",
        "connected:true",
        "reconnecting:the server closed the stream",
      ]);
      // A connection that got through resets the backoff.
      assert.deepEqual(clock.sleeps, [500, 500]);
    } finally {
      await close(server);
    }
  });

  test("without --since, a reconnect before any event asks for everything since the server's time at the first connection", async () => {
    const urls: string[] = [];
    const server = createServer((req, res) => {
      urls.push(req.url ?? "");
      sseHead(res);
      res.end();
    });
    const base = await listen(server);
    try {
      const controller = new AbortController();
      await runChannelStream({
        url: `${base}/v1/channels/abc_Door/events`,
        clock: recordingClock(controller, 2),
        signal: controller.signal,
        onEvent: () => {},
      });
      const dateSeconds = String(Date.parse("Thu, 04 Dec 2025 12:00:00 GMT") / 1000);
      assert.deepEqual(urls, ["/v1/channels/abc_Door/events", `/v1/channels/abc_Door/events?since=${dateSeconds}`]);
    } finally {
      await close(server);
    }
  });

  test("a silent connection is given up after the idle timeout and reopened", async () => {
    let connections = 0;
    const server = createServer((_req, res) => {
      connections++;
      sseHead(res);
      res.flushHeaders();
    });
    const base = await listen(server);
    try {
      const controller = new AbortController();
      const reasons: string[] = [];
      await runChannelStream({
        url: `${base}/v1/channels/abc_Door/events`,
        idleTimeoutMs: 200,
        clock: recordingClock(controller, 2),
        signal: controller.signal,
        onEvent: () => {},
        onStatus: (s) => {
          if (s.kind === "reconnecting") reasons.push(s.reason);
        },
      });
      assert.equal(connections, 2);
      assert.deepEqual(reasons, ["no data for 0.2 s", "no data for 0.2 s"]);
    } finally {
      await close(server);
    }
  });

  test("a server that never answers is given up after the connect timeout", async () => {
    const server = createServer(() => {});
    const base = await listen(server);
    try {
      const controller = new AbortController();
      const reasons: string[] = [];
      await runChannelStream({
        url: `${base}/v1/channels/abc_Door/events`,
        connectTimeoutMs: 200,
        clock: recordingClock(controller, 1),
        signal: controller.signal,
        onEvent: () => {},
        onStatus: (s) => {
          if (s.kind === "reconnecting") reasons.push(s.reason);
        },
      });
      assert.deepEqual(reasons, ["no answer within 0.2 s"]);
    } finally {
      await close(server);
    }
  });

  test("HTTP 404 and a non-SSE answer end the stream with a fatal error; 503 is retried after Retry-After", async () => {
    let mode = 404;
    let calls = 0;
    const server = createServer((_req, res) => {
      calls++;
      if (mode === 404) res.writeHead(404).end("not found");
      else if (mode === 200) res.writeHead(200, { "content-type": "text/html" }).end("<html></html>");
      else res.writeHead(503, { "retry-after": "7" }).end();
    });
    const base = await listen(server);
    try {
      const url = `${base}/v1/channels/abc_Door/events`;
      const options = { url, onEvent: () => {} };
      await assert.rejects(
        runChannelStream({ ...options, clock: recordingClock(new AbortController(), 99), signal: new AbortController().signal }),
        (e: unknown) => e instanceof StreamFatalError && e.httpStatus === 404 && /HTTP 404/.test(e.message),
      );
      mode = 200;
      await assert.rejects(
        runChannelStream({ ...options, clock: recordingClock(new AbortController(), 99), signal: new AbortController().signal }),
        (e: unknown) => e instanceof StreamFatalError && /event stream/.test(e.message),
      );
      mode = 503;
      calls = 0;
      const controller = new AbortController();
      const clock = recordingClock(controller, 2);
      await runChannelStream({ ...options, clock, jitter: () => 0, signal: controller.signal });
      assert.equal(calls, 2);
      assert.deepEqual(clock.sleeps, [7000, 7000]);
    } finally {
      await close(server);
    }
  });
});
