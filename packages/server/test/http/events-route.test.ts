import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, it } from "node:test";
import { parseStreamStart } from "../../src/http/events-route.js";
import { subscribe } from "../helpers/sse-client.js";
import { storageFactories } from "../helpers/storage-factories.js";
import { addTestAccount, formBody, pythonFrame, startTestServer, type TestServer, waitFor } from "../helpers/test-server.js";

const USER = "sse@example.org";
const PASSWORD = "sse password";
const CHANNEL = "a1b2c3d4_events";

function post(url: string, data: string, channel = CHANNEL): Promise<string> {
  const body = formBody(pythonFrame({ username: USER, password: PASSWORD, channel, data }));
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${url}/push/send.php`,
      { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(body) } },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (c: string) => {
          text += c;
        });
        response.on("end", () => resolve(text));
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

describe("parseStreamStart", () => {
  it("reads Last-Event-ID first, then since=all|id|unix time", () => {
    assert.deepEqual(parseStreamStart("42", "all"), { kind: "after-id", id: 42 });
    assert.deepEqual(parseStreamStart(undefined, "all"), { kind: "after-id", id: 0 });
    assert.deepEqual(parseStreamStart(undefined, "17"), { kind: "after-id", id: 17 });
    assert.deepEqual(parseStreamStart(undefined, "1764860000"), { kind: "since-time", timeMs: 1_764_860_000_000 });
    assert.deepEqual(parseStreamStart(undefined, undefined), { kind: "live" });
    assert.equal(parseStreamStart(undefined, "yesterday"), undefined);
    assert.equal(parseStreamStart("abc", undefined), undefined);
  });
});

for (const factory of storageFactories()) {
  describe(`GET /v1/channels/{channel}/events (${factory.name})`, () => {
    let fixture: Awaited<ReturnType<typeof factory.create>>;
    let t: TestServer;
    let url: string;

    before(async () => {
      fixture = await factory.create();
      t = await startTestServer(fixture, { listen: true, config: { heartbeatIntervalMs: 50 } });
      url = t.url as string;
      await addTestAccount(t.storage, USER, PASSWORD);
    });
    after(async () => {
      await t.close();
      await fixture.cleanup();
    });

    it("streams a live message as id:, event: message and data {id, time, channel, payload}", async () => {
      const stream = await subscribe(`${url}/v1/channels/${CHANNEL}/events`);
      assert.equal(stream.status, 200);
      assert.match(String(stream.headers["content-type"]), /^text\/event-stream/);
      assert.equal(stream.headers["access-control-allow-origin"], "*");
      assert.equal(await post(url, "live-1"), '{"Code": 0}');
      const [event] = await stream.waitForEvents(1);
      assert.ok(event);
      assert.equal(event.payload, "live-1");
      assert.equal(event.channel, CHANNEL);
      assert.equal(stream.ids[0], event.id);
      assert.ok(Math.abs(event.time - Date.now() / 1000) < 60);
      stream.close();
    });

    it("replays with since=all, a message id, a unix time and Last-Event-ID", async () => {
      const channel = "a1b2c3d4_replay";
      for (let i = 1; i <= 5; i++) assert.equal(await post(url, `r${i}`, channel), '{"Code": 0}');
      const all = await subscribe(`${url}/v1/channels/${channel}/events?since=all`);
      const events = await all.waitForEvents(5);
      assert.deepEqual(
        events.map((e) => e.payload),
        ["r1", "r2", "r3", "r4", "r5"],
      );
      all.close();
      const third = events[2]?.id as string;
      const afterId = await subscribe(`${url}/v1/channels/${channel}/events?since=${third}`);
      await waitFor(() => afterId.events.length >= 2);
      assert.deepEqual(
        afterId.events.map((e) => e.payload),
        ["r4", "r5"],
      );
      afterId.close();
      const resumed = await subscribe(`${url}/v1/channels/${channel}/events?since=all`, { lastEventId: events[3]?.id as string });
      await resumed.waitForEvents(1);
      assert.deepEqual(
        resumed.events.map((e) => e.payload),
        ["r5"],
      );
      resumed.close();
      const byTime = await subscribe(`${url}/v1/channels/${channel}/events?since=${Math.floor(Date.now() / 1000) - 60}`);
      await byTime.waitForEvents(5);
      byTime.close();
      const future = await subscribe(`${url}/v1/channels/${channel}/events?since=${Math.floor(Date.now() / 1000) + 3600}`);
      await waitFor(() => future.comments.some((c) => c.includes("heartbeat")));
      assert.equal(future.events.length, 0);
      future.close();
    });

    it("continues from replay to live with no gap and no duplicate while sends go on", async () => {
      const channel = "a1b2c3d4_nogap";
      for (let i = 0; i < 300; i++) await post(url, `m${i}`, channel);
      const sending = (async () => {
        for (let i = 300; i < 600; i++) assert.equal(await post(url, `m${i}`, channel), '{"Code": 0}');
      })();
      const streams = await Promise.all([0, 1, 2].map(() => subscribe(`${url}/v1/channels/${channel}/events?since=all`)));
      await sending;
      for (const stream of streams) {
        const events = await stream.waitForEvents(600);
        await new Promise((r) => setTimeout(r, 100));
        assert.equal(events.length, 600);
        assert.deepEqual(
          events.map((e) => e.payload),
          Array.from({ length: 600 }, (_, i) => `m${i}`),
        );
        const ids = events.map((e) => Number(e.id));
        assert.ok(
          ids.every((id, i) => i === 0 || id > (ids[i - 1] as number)),
          "ids increase",
        );
        stream.close();
      }
    });

    it("replays a cache larger than the socket buffers to a slow reader completely and in order", async () => {
      const channel = "a1b2c3d4_bulk";
      const payload = "B".repeat(3000);
      for (let batch = 0; batch < 4; batch++) {
        await t.storage.insertMessages(
          Array.from({ length: 500 }, (_, i) => ({ channel, payload: `${batch * 500 + i}:${payload}`, timeMs: Date.now() })),
        );
      }
      const received = await new Promise<string[]>((resolve, reject) => {
        http
          .get(`${url}/v1/channels/${channel}/events?since=all`, (response) => {
            response.pause();
            let text = "";
            const payloads: string[] = [];
            setTimeout(() => response.resume(), 1000);
            response.setEncoding("utf8");
            response.on("data", (chunk: string) => {
              text += chunk;
              const parts = text.split("\n\n");
              text = parts.pop() ?? "";
              for (const part of parts) {
                const data = part.split("\n").find((l) => l.startsWith("data: "));
                if (data !== undefined) payloads.push(JSON.parse(data.slice(6)).payload as string);
              }
              if (payloads.length >= 2000) {
                response.destroy();
                resolve(payloads);
              }
            });
            response.on("end", () => reject(new Error(`stream ended after ${payloads.length} events`)));
          })
          .on("error", reject);
      });
      assert.deepEqual(
        received.map((p) => Number(p.split(":")[0])),
        Array.from({ length: 2000 }, (_, i) => i),
      );
    });

    it("only delivers the subscribed channel's messages", async () => {
      const stream = await subscribe(`${url}/v1/channels/a1b2c3d4_mine/events`);
      await post(url, "other", "a1b2c3d4_theirs");
      await post(url, "mine", "a1b2c3d4_mine");
      await stream.waitForEvents(1);
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(
        stream.events.map((e) => e.payload),
        ["mine"],
      );
      stream.close();
    });

    it("sends comment heartbeats on an idle stream", async () => {
      const stream = await subscribe(`${url}/v1/channels/a1b2c3d4_idle/events`);
      await waitFor(() => stream.comments.filter((c) => c === ": heartbeat").length >= 2);
      stream.close();
    });

    it("refuses an invalid channel or since with 400", async () => {
      for (const path of [
        "/v1/channels/nochannel/events",
        "/v1/channels/a1b2c3d4_x/events?since=soon",
        "/v1/channels/a1b2c3d4_a%20b/events",
      ]) {
        const status = await new Promise<number>((resolve, reject) => {
          http
            .get(`${url}${path}`, (res) => {
              res.resume();
              resolve(res.statusCode ?? 0);
            })
            .on("error", reject);
        });
        assert.equal(status, 400, path);
      }
    });

    it("asks the read-authorization hook before streaming", async () => {
      const fixture2 = await factory.create();
      const t2 = await startTestServer(fixture2, {
        listen: true,
        deps: { authorizeRead: (request, channel) => channel === "a1b2c3d4_open" || request.headers.authorization === "Bearer token" },
      });
      try {
        const status = (path: string, headers: Record<string, string> = {}) =>
          new Promise<number>((resolve, reject) => {
            http
              .get(`${t2.url}${path}`, { headers }, (res) => {
                resolve(res.statusCode ?? 0);
                res.destroy();
              })
              .on("error", reject);
          });
        assert.equal(await status("/v1/channels/a1b2c3d4_closed/events"), 403);
        assert.equal(await status("/v1/channels/a1b2c3d4_closed/events", { authorization: "Bearer token" }), 200);
        assert.equal(await status("/v1/channels/a1b2c3d4_open/events"), 200);
      } finally {
        await t2.close();
        await fixture2.cleanup();
      }
    });

    it("counts subscribers in /metrics and ends streams on shutdown", async () => {
      const fixture2 = await factory.create();
      const t2 = await startTestServer(fixture2, { listen: true });
      try {
        const streams = await Promise.all([1, 2, 3].map(() => subscribe(`${t2.url}/v1/channels/a1b2c3d4_x/events`)));
        const metrics = await t2.server.app.inject({ method: "GET", url: "/metrics" });
        assert.match(metrics.body, /^lwp_subscribers 3$/m);
        await t2.close();
        await waitFor(() => streams.every((s) => s.ended()));
      } finally {
        await t2.close();
        await fixture2.cleanup();
      }
    });
  });
}
