import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemoryCounters } from "../../src/auth/counters.js";
import { cleanOnce } from "../../src/cleaner.js";
import { storageFactories } from "../helpers/storage-factories.js";
import { addTestAccount, formBody, pythonFrame, startTestServer, TestClock, withFixture } from "../helpers/test-server.js";

const USER = "stats@example.org";
const PASSWORD = "stats password";

for (const factory of storageFactories()) {
  describe(`message cache retention and send statistics (${factory.name})`, () => {
    it("records (account, address, channel, time) when enabled and removes messages and statistics past their retention", () =>
      withFixture(factory, async (fixture) => {
        const clock = new TestClock();
        const t = await startTestServer(fixture, {
          deps: { now: clock.now, counters: new MemoryCounters({ now: clock.now }), runCleaner: false },
          config: { statsEnabled: true, messageRetentionSeconds: 3600, statsRetentionSeconds: 7200 },
        });
        try {
          await addTestAccount(t.storage, USER, PASSWORD);
          const send = (data: string) =>
            t.server.app.inject({
              method: "POST",
              url: "/push/send.php",
              payload: formBody(pythonFrame({ username: USER, password: PASSWORD, channel: "0123abcd_stats", data })),
              headers: { "content-type": "application/x-www-form-urlencoded" },
              remoteAddress: "192.0.2.44",
            });
          const startMs = clock.nowMs;
          assert.equal((await send("old")).body, '{"Code": 0}');
          clock.advance(3000_000);
          assert.equal((await send("new")).body, '{"Code": 0}');
          assert.deepEqual(await t.storage.listSendStats(0), [
            { username: USER, address: "192.0.2.44", channel: "0123abcd_stats", timeMs: startMs },
            { username: USER, address: "192.0.2.44", channel: "0123abcd_stats", timeMs: startMs + 3000_000 },
          ]);

          // 1 h + 1 s after the first send: only the first message is past the message retention.
          clock.advance(601_000);
          assert.deepEqual(await cleanOnce(t.storage, t.config, clock.now), { messages: 1, sendStats: 0 });
          const left = await t.storage.listMessages("0123abcd_stats", { afterId: 0, limit: 10 });
          assert.deepEqual(
            left.map((m) => m.payload),
            ["new"],
          );
          clock.advance(3600_000);
          assert.deepEqual(await cleanOnce(t.storage, t.config, clock.now), { messages: 1, sendStats: 1 });
          assert.equal((await t.storage.listSendStats(0)).length, 1);
        } finally {
          await t.close();
        }
      }));

    it("records no statistics by default", () =>
      withFixture(factory, async (fixture) => {
        const t = await startTestServer(fixture);
        try {
          await addTestAccount(t.storage, USER, PASSWORD);
          const reply = await t.server.app.inject({
            method: "POST",
            url: "/push/send.php",
            payload: formBody(pythonFrame({ username: USER, password: PASSWORD, channel: "0123abcd_stats", data: "x" })),
            headers: { "content-type": "application/x-www-form-urlencoded" },
          });
          assert.equal(reply.body, '{"Code": 0}');
          assert.deepEqual(await t.storage.listSendStats(0), []);
        } finally {
          await t.close();
        }
      }));

    it("keeps message ids increasing after the cleaner emptied the cache", () =>
      withFixture(factory, async (fixture) => {
        const storage = await fixture.open();
        try {
          const [first] = await storage.insertMessages([{ channel: "0123abcd_x", payload: "a", timeMs: 1000 }]);
          assert.equal(await storage.deleteMessagesBefore(2000), 1);
          const [second] = await storage.insertMessages([{ channel: "0123abcd_x", payload: "b", timeMs: 3000 }]);
          assert.ok((second?.id ?? 0) > (first?.id ?? 0));
          assert.equal(await storage.lastMessageId(), second?.id);
        } finally {
          await storage.close();
        }
      }));
  });
}
