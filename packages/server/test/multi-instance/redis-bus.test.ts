/**
 * The Redis bus between instances sharing one PostgreSQL storage: delivery
 * across instances, in id order even when doorbells arrive out of order, and
 * catch-up after Redis restarts.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, describe, test } from "node:test";
import type { BusMessage } from "../../src/fanout/bus.js";
import { RedisBus } from "../../src/fanout/redis-bus.js";
import type { Storage } from "../../src/storage/storage.js";
import { createPostgresFixture, type PostgresStorageFixture } from "../helpers/postgres-factory.js";
import { waitFor } from "../helpers/test-server.js";
import { requireServiceEnv, startOwnRedis } from "./services.js";

describe("Redis bus", () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  const storageFixture = async (): Promise<{ fixture: PostgresStorageFixture; storage: Storage }> => {
    const fixture = await createPostgresFixture(requireServiceEnv("LWP_TEST_DATABASE_URL"));
    const storage = await fixture.open();
    cleanups.push(async () => {
      await storage.close();
      await fixture.cleanup();
    });
    return { fixture, storage };
  };
  const bus = (url: string, storage: Storage, keyPrefix: string): RedisBus => {
    const b = new RedisBus({ url, storage, keyPrefix, sweepIntervalMs: 0 });
    cleanups.push(() => b.close());
    return b;
  };

  test("a message published on one instance reaches subscribers on another, in id order even when announced out of order", async () => {
    const url = requireServiceEnv("LWP_TEST_REDIS_URL");
    const { storage } = await storageFixture();
    // A fresh prefix: the CI Redis is shared by the whole suite.
    const keyPrefix = `lwp-test-${randomBytes(6).toString("hex")}:`;
    const a = bus(url, storage, keyPrefix);
    const b = bus(url, storage, keyPrefix);
    const received: BusMessage[] = [];
    await b.subscribe("0123abcd_ch", (m) => received.push(m));
    const [first, second, third] = await storage.insertMessages([
      { channel: "0123abcd_ch", payload: "one", timeMs: 1 },
      { channel: "0123abcd_ch", payload: "two", timeMs: 2 },
      { channel: "0123abcd_other", payload: "elsewhere", timeMs: 3 },
    ]);
    // Two instances committed in the order first, second but announce in the opposite order.
    await a.publish(second!);
    await a.publish(third!);
    await a.publish(first!);
    await waitFor(() => received.length >= 2);
    assert.deepEqual(
      received.map((m) => m.payload),
      ["one", "two"],
    );
    assert.equal(b.subscriberCount(), 1);
  });

  test("after Redis restarts, open subscriptions get what was published while it was down", async () => {
    const redis = await startOwnRedis();
    cleanups.push(() => redis.stop());
    const { storage } = await storageFixture();
    const a = bus(redis.url, storage, "lwp:");
    const b = bus(redis.url, storage, "lwp:");
    await Promise.all([a.ready(), b.ready()]);
    const received: string[] = [];
    await b.subscribe("0123abcd_ch", (m) => received.push(m.payload));
    const [before] = await storage.insertMessages([{ channel: "0123abcd_ch", payload: "before", timeMs: 1 }]);
    await a.publish(before!);
    await waitFor(() => received.length === 1);

    await redis.stop();
    const [during] = await storage.insertMessages([{ channel: "0123abcd_ch", payload: "during", timeMs: 2 }]);
    await a.publish(during!); // never rejects: the message is durable, the doorbell is retried
    await redis.start();
    await waitFor(() => received.length === 2);
    assert.deepEqual(received, ["before", "during"]);

    const [later] = await storage.insertMessages([{ channel: "0123abcd_ch", payload: "after", timeMs: 3 }]);
    await a.publish(later!);
    await waitFor(() => received.length === 3);
    assert.deepEqual(received, ["before", "during", "after"]);
  });
});
