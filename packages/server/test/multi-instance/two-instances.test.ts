/**
 * Two server instances on one PostgreSQL and one Redis, configured as a
 * user would (`databaseUrl`, `redisUrl`), over real sockets.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, describe, test } from "node:test";
import { createDeliveryExtension } from "../../src/delivery/index.js";
import { generateVapidKeys } from "../../src/delivery/web-push/vapid-keys.js";
import { FakePushService } from "../fixtures/fake-push-service.js";
import { createPostgresFixture, type PostgresStorageFixture } from "../helpers/postgres-factory.js";
import { addTestAccount, startTestServer, type TestServer, waitFor } from "../helpers/test-server.js";
import { channelPrefix, ResumingSubscriber, requireServiceEnv, sendFrame, startConfiguredServer } from "./services.js";

describe("two instances on one PostgreSQL and one Redis", () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  const startPair = async (config: Record<string, unknown> = {}): Promise<[TestServer, TestServer, PostgresStorageFixture]> => {
    const fixture = await createPostgresFixture(requireServiceEnv("LWP_TEST_DATABASE_URL"));
    cleanups.push(() => fixture.cleanup());
    const redisUrl = requireServiceEnv("LWP_TEST_REDIS_URL");
    const start = async (): Promise<TestServer> => {
      const server = await startTestServer(fixture, { listen: true, config: { databaseUrl: fixture.databaseUrl, redisUrl, ...config } });
      cleanups.push(() => server.close());
      return server;
    };
    const a = await start();
    const b = await start();
    return [a, b, fixture];
  };
  // Usernames are unique per test: the CI Redis (and its counters) is shared by the whole suite.
  const newUser = (): string => `user-${randomBytes(6).toString("hex")}@example.org`;

  test("a message sent to instance A reaches an SSE subscriber on instance B", async () => {
    const [a, b] = await startPair();
    const username = newUser();
    await addTestAccount(a.storage, username, "pw-1");
    const channel = `${channelPrefix(username)}_Door`;
    const subscriber = new ResumingSubscriber([b.url!], channel);
    cleanups.push(() => subscriber.stop());
    await subscriber.opened;

    assert.equal(await sendFrame(a.url!, { username, password: "pw-1", channel, data: "sealed-1" }), 0);
    await waitFor(() => subscriber.events.length === 1);
    assert.equal(subscriber.events[0]!.payload, "sealed-1");

    // And the other way round, to a subscriber that joins later and asks for the cache.
    assert.equal(await sendFrame(b.url!, { username, password: "pw-1", channel, data: "sealed-2" }), 0);
    const late = new ResumingSubscriber([a.url!], channel, { since: "all" });
    cleanups.push(() => late.stop());
    await waitFor(() => late.events.length === 2 && subscriber.events.length === 2);
    assert.deepEqual(
      late.events.map((e) => e.payload),
      ["sealed-1", "sealed-2"],
    );
    assert.deepEqual(late.events, subscriber.events);
  });

  test("a brute-force block earned on A holds on B", async () => {
    const [a, b] = await startPair({ bruteForceMaxFailures: 3 });
    const username = newUser();
    const other = newUser();
    await addTestAccount(a.storage, username, "right");
    await addTestAccount(a.storage, other, "right");
    const channel = `${channelPrefix(username)}_x`;
    for (let i = 0; i < 3; i++) assert.equal(await sendFrame(a.url!, { username, password: "wrong", channel, data: "x" }), 2);
    // The right password no longer helps from this address, on either instance.
    assert.equal(await sendFrame(b.url!, { username, password: "right", channel, data: "x" }), 2);
    assert.equal(await sendFrame(a.url!, { username, password: "right", channel, data: "x" }), 2);
    // Another account from the same address is not affected.
    assert.equal(await sendFrame(b.url!, { username: other, password: "right", channel: `${channelPrefix(other)}_x`, data: "x" }), 0);
    assert.equal(await a.storage.countMessages(), 1);
  });

  test("a Web Push subscription registered on B receives a message sent to A", async () => {
    const fixture = await createPostgresFixture(requireServiceEnv("LWP_TEST_DATABASE_URL"));
    cleanups.push(() => fixture.cleanup());
    const pushService = await FakePushService.start();
    cleanups.push(() => pushService.close());
    // Instances behind one load balancer share one VAPID key pair (each would otherwise make its own).
    const vapid = generateVapidKeys();
    const start = async () => {
      const server = await startConfiguredServer(
        {
          databaseUrl: fixture.databaseUrl,
          redisUrl: requireServiceEnv("LWP_TEST_REDIS_URL"),
          webPushEndpointHosts: pushService.origin,
          webPushVapidPublicKey: vapid.publicKey,
          webPushVapidPrivateKey: vapid.privateKey,
          webPushVapidSubject: "mailto:ops@example.org",
        },
        { extensions: [createDeliveryExtension()] },
      );
      cleanups.push(() => server.close());
      return server;
    };
    const a = await start();
    const b = await start();
    const username = newUser();
    await addTestAccount(a.server.context.storage, username, "pw");
    const channel = `${channelPrefix(username)}_Browser`;

    const subscription = pushService.createSubscription({ applicationServerKey: vapid.publicKey });
    const registered = await fetch(new URL("/v1/webpush/subscriptions", b.url), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ subscription, channels: [channel] }),
    });
    assert.equal(registered.status, 200, await registered.text());

    assert.equal(await sendFrame(a.url, { username, password: "pw", channel, data: "sealed-for-the-browser" }), 0);
    await pushService.waitFor(() => pushService.deliveriesTo(subscription.endpoint).length >= 1);
    const [delivery] = pushService.deliveriesTo(subscription.endpoint);
    assert.ok(delivery!.plaintext.includes("sealed-for-the-browser"), delivery!.plaintext);
  });
});
