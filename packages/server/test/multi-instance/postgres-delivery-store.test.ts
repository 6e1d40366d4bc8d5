/**
 * The delivery outbox on PostgreSQL as several instances use it: each
 * (message, target) handed out once, leases, subscriptions.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import type { OutboxJob } from "../../src/delivery/delivery-store.js";
import { openPostgresDeliveryStore, type PostgresDeliveryStore } from "../../src/storage/postgres/postgres-delivery-store.js";
import type { Storage } from "../../src/storage/storage.js";
import { createPostgresFixture, type PostgresStorageFixture } from "../helpers/postgres-factory.js";
import { requireServiceEnv } from "./services.js";

const KEY = { p256dh: "BPUBLICKEY", auth: "AUTHSECRET" };

describe("PostgreSQL delivery store", () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  const setUp = async (): Promise<{
    fixture: PostgresStorageFixture;
    storage: Storage;
    a: PostgresDeliveryStore;
    b: PostgresDeliveryStore;
  }> => {
    const fixture = await createPostgresFixture(requireServiceEnv("LWP_TEST_DATABASE_URL"));
    cleanups.push(() => fixture.cleanup());
    const storage = await fixture.open();
    const a = await openPostgresDeliveryStore({ url: fixture.databaseUrl });
    const b = await openPostgresDeliveryStore({ url: fixture.databaseUrl });
    cleanups.push(async () => {
      await Promise.all([a.close(), b.close(), storage.close()]);
    });
    return { fixture, storage, a, b };
  };

  test("two instances copying and claiming at once hand out each (message, subscription) exactly once", async () => {
    const { storage, a, b } = await setUp();
    await storage.insertMessages([{ channel: "0123abcd_c", payload: "before", timeMs: 1 }]);
    await a.initCursor("webpush");
    await b.initCursor("webpush");
    const first = await a.putWebPushSubscription({ endpoint: "https://push.example/1", ...KEY }, ["0123abcd_c"], 1);
    const second = await b.putWebPushSubscription({ endpoint: "https://push.example/2", ...KEY }, ["0123abcd_c", "0123abcd_d"], 1);
    for (let i = 0; i < 40; i += 4) {
      await storage.insertMessages(
        [0, 1, 2, 3].map((k) => ({ channel: k === 3 ? "0123abcd_d" : "0123abcd_c", payload: `m${i + k}`, timeMs: 2 })),
      );
    }
    const claimed: OutboxJob[] = [];
    const work = async (store: PostgresDeliveryStore): Promise<void> => {
      for (let idle = 0; idle < 3; ) {
        await store.enqueueNewMessages("webpush", 1000, 7);
        const jobs = await store.claimDue("webpush", 1000, 60_000, 5);
        if (jobs.length === 0) idle++;
        for (const job of jobs) {
          claimed.push(job);
          await store.complete(job);
        }
      }
    };
    await Promise.all([work(a), work(b), work(a), work(b)]);

    const keys = claimed.map((j) => `${j.messageId}:${j.targetId}`);
    assert.equal(new Set(keys).size, keys.length, "no delivery handed out twice");
    // 30 messages on channel c go to both subscriptions, 10 on channel d to the second only; the one before the cursor to none.
    assert.equal(claimed.filter((j) => j.targetId === first).length, 30);
    assert.equal(claimed.filter((j) => j.targetId === second).length, 40);
    assert.ok(claimed.every((j) => j.message !== undefined && j.message.payload !== "before"));
    assert.equal(await a.countOutbox("webpush"), 0);
  });

  test("a claimed row is hidden for its lease, and comes back when rescheduled or when the lease ends", async () => {
    const { storage, a, b } = await setUp();
    await a.initCursor("fcm");
    await storage.insertMessages([{ channel: "0123abcd_c", payload: "p", timeMs: 1 }]);
    assert.equal(await a.enqueueNewMessages("fcm", 1000, 100), 1);
    assert.equal(await b.enqueueNewMessages("fcm", 1000, 100), 0, "the other instance finds it already copied");
    const [job] = await a.claimDue("fcm", 1000, 5000, 10);
    assert.equal(job?.attempts, 1);
    assert.deepEqual(await b.claimDue("fcm", 1000, 5000, 10), [], "leased");
    assert.deepEqual(await b.claimDue("fcm", 5999, 5000, 10), []);
    const [again] = await b.claimDue("fcm", 6000, 5000, 10);
    assert.equal(again?.attempts, 2, "the lease ran out: a crashed instance's row comes back");
    await b.reschedule(again!, 20_000, "5 GOOGLE_CONNECTION: timeout");
    assert.equal(await a.nextDueMs("fcm"), 20_000);
    assert.deepEqual(await a.claimDue("fcm", 19_999, 5000, 10), []);
    assert.equal((await a.claimDue("fcm", 20_000, 5000, 10)).length, 1);
  });

  test("subscriptions: channels replaced, removed one by one, and the whole subscription with its pending deliveries", async () => {
    const { storage, a } = await setUp();
    await a.initCursor("webpush");
    const endpoint = "https://push.example/s";
    const id = await a.putWebPushSubscription({ endpoint, ...KEY }, ["0123abcd_b", "0123abcd_a"], 1);
    assert.deepEqual(await a.webPushChannels(endpoint), ["0123abcd_a", "0123abcd_b"]);
    assert.equal(await a.putWebPushSubscription({ endpoint, p256dh: "NEW", auth: "NEW" }, ["0123abcd_c"], 2), id, "same endpoint, same id");
    assert.deepEqual(await a.webPushChannels(endpoint), ["0123abcd_c"]);
    assert.equal(await a.removeWebPushSubscription(endpoint, ["0123abcd_x"]), true);
    assert.deepEqual(await a.webPushChannels(endpoint), ["0123abcd_c"], "removing a channel it does not have changes nothing");
    assert.equal(await a.removeWebPushSubscription(endpoint, ["0123abcd_c"]), true);
    assert.equal(await a.webPushChannels(endpoint), undefined, "no channel left: the subscription is gone");
    assert.equal(await a.removeWebPushSubscription(endpoint), false);

    const again = await a.putWebPushSubscription({ endpoint, ...KEY }, ["0123abcd_c"], 3);
    await storage.insertMessages([{ channel: "0123abcd_c", payload: "p", timeMs: 3 }]);
    await a.enqueueNewMessages("webpush", 3, 10);
    assert.equal(await a.countOutbox("webpush"), 1);
    await a.deleteWebPushSubscriptionById(again);
    assert.equal(await a.countOutbox("webpush"), 0);
    assert.equal(await a.countWebPushSubscriptions(), 0);
  });
});
