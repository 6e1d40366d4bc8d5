/**
 * Web Push end to end: a browser subscription (keys made here) registers
 * with the server, the library sends, and a local push service checks the
 * VAPID JWT and decrypts what the browser would receive. Runs on every
 * storage (SQLite, and PostgreSQL when configured) with its delivery store.
 */
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { LightweightPush, nodeCryptoBackend } from "lightweightpush";
import { openMessage, ResultCode } from "lightweightpush/protocol";
import { parseServerEvent } from "lightweightpush/receiver";
import { VAPID_KEYS_FILE_NAME } from "../../src/delivery/index.js";
import { FakePushService, type FakeSubscriptionJson } from "../fixtures/fake-push-service.js";
import { storageFactories } from "../helpers/storage-factories.js";
import { DeliveryTestBed, fakeEnvelope, PASSWORD, SHARED_SECRET, USERNAME } from "./delivery-harness.js";

const CHANNEL = "538113b2_MyChannel";
const OTHER_CHANNEL = "538113b2_Other";

async function publicKey(bed: DeliveryTestBed): Promise<string> {
  const response = await fetch(`${bed.server.url}/v1/webpush/public-key`);
  assert.equal(response.status, 200);
  return ((await response.json()) as { publicKey: string }).publicKey;
}

async function subscribe(bed: DeliveryTestBed, subscription: unknown, channels: unknown): Promise<Response> {
  return fetch(`${bed.server.url}/v1/webpush/subscriptions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ subscription, channels }),
  });
}

async function unsubscribe(bed: DeliveryTestBed, body: unknown): Promise<Response> {
  return fetch(`${bed.server.url}/v1/webpush/subscriptions`, {
    method: "DELETE",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** A browser subscription bound to the server's VAPID key, registered for `channels`. */
async function browser(bed: DeliveryTestBed, push: FakePushService, channels: string[]): Promise<FakeSubscriptionJson> {
  const subscription = push.createSubscription({ applicationServerKey: await publicKey(bed) });
  const response = await subscribe(bed, { ...subscription, expirationTime: null }, channels);
  assert.equal(response.status, 200, await response.clone().text());
  return subscription;
}

async function channelsOf(bed: DeliveryTestBed, endpoint: string): Promise<string[] | undefined> {
  const store = await bed.openStore();
  try {
    return await store.webPushChannels(endpoint);
  } finally {
    await store.close();
  }
}

for (const factory of storageFactories()) {
  describe(`Web Push delivery (${factory.name})`, () => {
    let bed: DeliveryTestBed;
    let push: FakePushService;

    before(async () => {
      push = await FakePushService.start();
      bed = await DeliveryTestBed.create(factory);
      await bed.start({ webPushEndpointHosts: push.origin, webPushVapidSubject: "mailto:ops@example.org" });
    });

    after(async () => {
      await bed.close();
      await push.close();
    });

    test("delivers a message to the browser: VAPID-signed, encrypted to its keys, the event JSON opening with the shared secret", async () => {
      const subscription = await browser(bed, push, [CHANNEL]);
      const sender = new LightweightPush(USERNAME, PASSWORD, SHARED_SECRET, { endpoint: `${bed.server.url}/push/send.php` });
      await sender.sendMsg("Door", "Opened", "MyChannel", { maxRetries: 0, state: 1 });

      await push.waitFor(() => push.deliveriesTo(subscription.endpoint).length === 1);
      const [delivery] = push.deliveriesTo(subscription.endpoint);
      assert.ok(delivery);
      const [stored] = await bed.server.storage.listMessages(CHANNEL, { limit: 10 });
      assert.ok(stored);
      assert.equal(
        delivery.plaintext,
        JSON.stringify({ id: String(stored.id), time: Math.floor(stored.timeMs / 1000), channel: CHANNEL, payload: stored.payload }),
      );
      const event = parseServerEvent(delivery.plaintext);
      assert.ok(event);
      const opened = await openMessage(event.payload, event.channel, {
        username: USERNAME,
        sharedSecret: SHARED_SECRET,
        crypto: nodeCryptoBackend,
      });
      assert.equal(opened.sbj, "Door");
      assert.equal(opened.msg, "Opened");
      assert.equal(opened.st, 1);

      assert.equal(delivery.urgency, "high");
      assert.equal(delivery.ttlSeconds, 86_400);
      assert.equal(delivery.topic, `m${stored.id}`);
      assert.equal(delivery.vapidClaims.aud, push.origin);
      assert.equal(delivery.vapidClaims.sub, "mailto:ops@example.org");
      assert.equal(delivery.vapidPublicKey, await publicKey(bed));
    });

    test("goes to every subscription of the channel and to no other", async () => {
      const a = await browser(bed, push, [CHANNEL]);
      const b = await browser(bed, push, [CHANNEL, OTHER_CHANNEL]);
      const other = await browser(bed, push, [OTHER_CHANNEL]);
      assert.equal(await bed.sendRaw(CHANNEL, "to-my-channel"), 0);
      await push.waitFor(() => push.deliveriesTo(a.endpoint).length === 1 && push.deliveriesTo(b.endpoint).length === 1);
      await bed.settled();
      assert.equal(push.requestsTo(other.endpoint).length, 0);
      assert.equal(parseServerEvent(push.deliveriesTo(b.endpoint)[0]?.plaintext ?? "")?.payload, "to-my-channel");
    });

    test("leaves the payload out when the event would not fit a push message", async () => {
      const subscription = await browser(bed, push, [CHANNEL]);
      assert.equal(await bed.sendRaw(CHANNEL, fakeEnvelope(4000)), 0);
      await push.waitFor(() => push.deliveriesTo(subscription.endpoint).length === 1);
      const event = JSON.parse(push.deliveriesTo(subscription.endpoint)[0]?.plaintext ?? "{}") as Record<string, unknown>;
      assert.deepEqual(Object.keys(event), ["id", "time", "channel"]);
      assert.equal(event.channel, CHANNEL);
    });

    test("removes a subscription its push service answers 404 or 410 for", async () => {
      const gone = await browser(bed, push, [CHANNEL]);
      const unknown = await browser(bed, push, [CHANNEL]);
      const alive = await browser(bed, push, [CHANNEL]);
      push.expire(gone.endpoint);
      push.answerNext(unknown.endpoint, { status: 404 });
      const pruned = bed.delivery.metrics.prunedCount;
      assert.equal(await bed.sendRaw(CHANNEL, "first"), 0);
      await push.waitFor(() => push.deliveriesTo(alive.endpoint).length === 1);
      await bed.settled();
      assert.equal(bed.delivery.metrics.prunedCount, pruned + 2);
      assert.equal(await channelsOf(bed, gone.endpoint), undefined);
      assert.equal(await channelsOf(bed, unknown.endpoint), undefined);

      assert.equal(await bed.sendRaw(CHANNEL, "second"), 0);
      await push.waitFor(() => push.deliveriesTo(alive.endpoint).length === 2);
      await bed.settled();
      assert.equal(push.requestsTo(gone.endpoint).length, 1);
      assert.equal(push.requestsTo(unknown.endpoint).length, 1);
      const text = await (await fetch(`${bed.server.url}/metrics`)).text();
      assert.match(text, /lwp_webpush_subscriptions_pruned_total \d+/);
    });

    test("maps push service answers: 413 too big (4) and 400 (6) are dropped, 403 (7) is retried", async () => {
      const { metrics } = bed.delivery;
      const cases: [number, number, "retried" | "dropped"][] = [
        [413, ResultCode.GOOGLE_MSG_TOO_LARGE, "dropped"],
        [400, ResultCode.GOOGLE_UNKNOWN, "dropped"],
        [403, ResultCode.GOOGLE_AUTH, "retried"],
        [429, ResultCode.GOOGLE_CONNECTION, "retried"],
        [502, ResultCode.GOOGLE_CONNECTION, "retried"],
      ];
      for (const [status, code, outcome] of cases) {
        const subscription = await browser(bed, push, [`538113b2_map${status}`]);
        push.answerNext(subscription.endpoint, { status });
        const before = metrics.count(outcome, "webpush", code);
        assert.equal(await bed.sendRaw(`538113b2_map${status}`, "m"), 0);
        await push.waitFor(() => push.requestsTo(subscription.endpoint).length === 1);
        await bed.settled();
        assert.equal(metrics.count(outcome, "webpush", code), before + 1, `HTTP ${status}`);
        assert.deepEqual(await channelsOf(bed, subscription.endpoint), [`538113b2_map${status}`], "the subscription stays");
      }
    });
  });

  describe(`Web Push retries (${factory.name})`, () => {
    test("retries 429 and 5xx from the outbox across a restart, never delivering twice to one subscription", async () => {
      const push = await FakePushService.start();
      const bed = await DeliveryTestBed.create(factory);
      const config = { webPushEndpointHosts: push.origin };
      try {
        await bed.start(config);
        const ok = await browser(bed, push, [CHANNEL]);
        const busy = await browser(bed, push, [CHANNEL]);
        const broken = await browser(bed, push, [CHANNEL]);
        push.answerNext(busy.endpoint, { status: 429, retryAfterSeconds: 30 });
        push.answerNext(broken.endpoint, { status: 503 }, { status: 500 });

        assert.equal(await bed.sendRaw(CHANNEL, "one"), 0);
        await push.waitFor(() => push.requests.length === 3);
        await bed.settled();
        assert.equal(push.deliveriesTo(ok.endpoint).length, 1);

        await bed.stop();
        bed.clock.advance(5000);
        await bed.start(config);
        // broken: second failure (500) at 5 s; busy waits for its Retry-After.
        await push.waitFor(() => push.requestsTo(broken.endpoint).length === 2);
        await bed.settled();
        assert.equal(push.requestsTo(busy.endpoint).length, 1);

        bed.clock.advance(10_000);
        await push.waitFor(() => push.deliveriesTo(broken.endpoint).length === 1);
        bed.clock.advance(15_000);
        await push.waitFor(() => push.deliveriesTo(busy.endpoint).length === 1);
        await bed.settled();

        for (const s of [ok, busy, broken]) assert.equal(push.deliveriesTo(s.endpoint).length, 1);
        assert.deepEqual(
          [ok, busy, broken].map((s) => push.requestsTo(s.endpoint).length),
          [1, 2, 3],
        );
        // One message id everywhere: what arrived is the same message.
        assert.equal(new Set(push.deliveries.map((d) => parseServerEvent(d.plaintext)?.id)).size, 1);
        const store = await bed.openStore();
        assert.equal(await store.countOutbox("webpush"), 0);
        await store.close();
      } finally {
        await bed.close();
        await push.close();
      }
    });
  });

  describe(`Web Push after leaving a channel (${factory.name})`, () => {
    test("a pending retry is not sent once the browser left the channel", async () => {
      const push = await FakePushService.start();
      const bed = await DeliveryTestBed.create(factory);
      try {
        await bed.start({ webPushEndpointHosts: push.origin });
        const s = await browser(bed, push, [CHANNEL, OTHER_CHANNEL]);
        push.answerNext(s.endpoint, { status: 503 }, { status: 503 });
        assert.equal(await bed.sendRaw(CHANNEL, "left"), 0);
        assert.equal(await bed.sendRaw(OTHER_CHANNEL, "kept"), 0);
        await push.waitFor(() => push.requestsTo(s.endpoint).length === 2);
        await bed.settled();
        assert.equal((await subscribe(bed, s, [OTHER_CHANNEL])).status, 200);
        bed.clock.advance(5000);
        await push.waitFor(() => push.deliveriesTo(s.endpoint).length === 1);
        await bed.settled();
        bed.clock.advance(3_600_000);
        bed.delivery.wake();
        await bed.settled();
        assert.deepEqual(
          push.deliveriesTo(s.endpoint).map((d) => parseServerEvent(d.plaintext)?.payload),
          ["kept"],
        );
        assert.equal(push.requestsTo(s.endpoint).length, 3);
      } finally {
        await bed.close();
        await push.close();
      }
    });

    test("a pending retry is not sent once the browser removed the channel with DELETE", async () => {
      const push = await FakePushService.start();
      const bed = await DeliveryTestBed.create(factory);
      try {
        await bed.start({ webPushEndpointHosts: push.origin });
        const s = await browser(bed, push, [CHANNEL, OTHER_CHANNEL]);
        push.answerNext(s.endpoint, { status: 503 }, { status: 503 });
        assert.equal(await bed.sendRaw(CHANNEL, "left"), 0);
        assert.equal(await bed.sendRaw(OTHER_CHANNEL, "kept"), 0);
        await push.waitFor(() => push.requestsTo(s.endpoint).length === 2);
        await bed.settled();
        assert.deepEqual(await (await unsubscribe(bed, { endpoint: s.endpoint, channels: [CHANNEL] })).json(), { removed: true });
        const store = await bed.openStore();
        assert.equal(await store.countOutbox("webpush"), 1, "only the retry of the channel it kept is pending");
        await store.close();
        bed.clock.advance(5000);
        await push.waitFor(() => push.deliveriesTo(s.endpoint).length === 1);
        bed.clock.advance(3_600_000);
        bed.delivery.wake();
        await bed.settled();
        assert.deepEqual(
          push.deliveriesTo(s.endpoint).map((d) => parseServerEvent(d.plaintext)?.payload),
          ["kept"],
        );
        assert.equal(push.requestsTo(s.endpoint).length, 3);
      } finally {
        await bed.close();
        await push.close();
      }
    });
  });

  describe(`Web Push subscriptions and keys (${factory.name})`, () => {
    let bed: DeliveryTestBed;
    let push: FakePushService;

    before(async () => {
      push = await FakePushService.start();
      bed = await DeliveryTestBed.create(factory);
      await bed.start({ webPushEndpointHosts: push.origin });
    });

    after(async () => {
      await bed.close();
      await push.close();
    });

    test("makes the VAPID key pair on first start, keeps it private in the data directory and across restarts", async () => {
      const key = await publicKey(bed);
      assert.equal(Buffer.from(key, "base64url").length, 65);
      const file = join(bed.fixture.dataDir, VAPID_KEYS_FILE_NAME);
      assert.equal(statSync(file).mode & 0o777, 0o600);
      await bed.stop();
      await bed.start({ webPushEndpointHosts: push.origin });
      assert.equal(await publicKey(bed), key);
    });

    test("refuses bad subscriptions with 400 and stores nothing", async () => {
      const good = push.createSubscription();
      const cases: [string, unknown, unknown][] = [
        ["not an object", "x", [CHANNEL]],
        ["missing keys", { endpoint: good.endpoint }, [CHANNEL]],
        ["short auth", { ...good, keys: { ...good.keys, auth: "AAAA" } }, [CHANNEL]],
        ["p256dh not a point", { ...good, keys: { ...good.keys, p256dh: Buffer.alloc(65, 4).toString("base64url") } }, [CHANNEL]],
        ["unknown field", { ...good, extra: 1 }, [CHANNEL]],
        ["endpoint elsewhere", { ...good, endpoint: "https://evil.example.com/push/1" }, [CHANNEL]],
        ["plain http elsewhere", { ...good, endpoint: "http://127.0.0.1:1/push/1" }, [CHANNEL]],
        ["no channels", good, []],
        ["unprefixed channel", good, ["MyChannel"]],
        ["illegal characters", good, ["538113b2_a b"]],
        ["channel not a string", good, [42]],
        ["too many channels", good, Array.from({ length: 65 }, (_, i) => `538113b2_c${i}`)],
      ];
      for (const [name, subscription, channels] of cases) {
        const response = await subscribe(bed, subscription, channels);
        assert.equal(response.status, 400, name);
        assert.equal(typeof ((await response.json()) as { error?: unknown }).error, "string", name);
      }
      assert.equal(await channelsOf(bed, good.endpoint), undefined);
      const store = await bed.openStore();
      assert.equal(await store.countWebPushSubscriptions(), 0);
      await store.close();
    });

    test("limits subscription changes per address: 429 after 60 in a minute", async () => {
      const s = push.createSubscription();
      const statuses: number[] = [];
      // The earlier tests of this suite made changes from this address too; count until the limit bites.
      for (let i = 0; i < 61; i++) statuses.push((await subscribe(bed, s, [CHANNEL])).status);
      assert.ok(statuses.includes(200));
      assert.equal(statuses.at(-1), 429);
      assert.deepEqual(
        statuses.slice(statuses.indexOf(429)).filter((status) => status !== 429),
        [],
      );
      // A minute later (server clock) changes are accepted again.
      bed.clock.advance(60_000);
      assert.equal((await subscribe(bed, s, [CHANNEL])).status, 200);
    });

    test("registering again replaces the channel list; DELETE removes channels or the whole subscription", async () => {
      const s = push.createSubscription();
      assert.equal((await subscribe(bed, s, [CHANNEL, OTHER_CHANNEL, CHANNEL])).status, 200);
      assert.deepEqual(await channelsOf(bed, s.endpoint), [OTHER_CHANNEL, CHANNEL].sort());
      assert.equal((await subscribe(bed, s, ["alertR_notification"])).status, 200);
      assert.deepEqual(await channelsOf(bed, s.endpoint), ["alertR_notification"]);
      assert.equal((await subscribe(bed, s, [CHANNEL, OTHER_CHANNEL])).status, 200);

      let response = await unsubscribe(bed, { endpoint: s.endpoint, channels: [OTHER_CHANNEL] });
      assert.deepEqual(await response.json(), { removed: true });
      assert.deepEqual(await channelsOf(bed, s.endpoint), [CHANNEL]);
      response = await unsubscribe(bed, { endpoint: s.endpoint });
      assert.deepEqual(await response.json(), { removed: true });
      assert.equal(await channelsOf(bed, s.endpoint), undefined);
      response = await unsubscribe(bed, { endpoint: s.endpoint });
      assert.deepEqual(await response.json(), { removed: false });
      assert.equal((await unsubscribe(bed, { endpoint: 42 })).status, 400);

      // A removed subscription gets nothing.
      assert.equal(await bed.sendRaw(CHANNEL, "after-removal"), 0);
      await bed.settled();
      assert.equal(push.requestsTo(s.endpoint).length, 0);
    });
  });
}
