/**
 * FCM delivery end to end: the library sends to the server, the server
 * forwards to a local FCM stand-in that checks the service-account JWT,
 * the bearer token and the exact message. Runs on every storage (SQLite,
 * and PostgreSQL when configured) with its delivery store.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { LightweightPush } from "lightweightpush";
import { ResultCode } from "lightweightpush/protocol";
import { createDeliveryExtension } from "../../src/delivery/index.js";
import { createServiceAccount, FakeFcm, type FcmFailure, type TestServiceAccount } from "../fixtures/fake-fcm.js";
import { storageFactories } from "../helpers/storage-factories.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";
import { DeliveryTestBed, fakeEnvelope, PASSWORD, SHARED_SECRET, USERNAME } from "./delivery-harness.js";

const PROJECT = "lwp-test-project";
const CHANNEL = "538113b2_MyChannel";

function fcmConfig(account: TestServiceAccount, fake: FakeFcm) {
  return { fcmServiceAccountFile: account.file, fcmTokenUrl: fake.tokenUrl, fcmBaseUrl: fake.baseUrl };
}

for (const factory of storageFactories()) {
  describe(`FCM delivery (${factory.name})`, () => {
    let bed: DeliveryTestBed;
    let account: TestServiceAccount;
    let fake: FakeFcm;

    before(async () => {
      bed = await DeliveryTestBed.create(factory);
      account = createServiceAccount(bed.fixture.dataDir, PROJECT);
      fake = await FakeFcm.start({ projectId: PROJECT, serviceAccount: account });
      await bed.start(fcmConfig(account, fake));
    });

    after(async () => {
      await bed.close();
      await fake.close();
    });

    test("forwards a message sent by the library as the exact FCM v1 request, authorised by the service account", async () => {
      const push = new LightweightPush(USERNAME, PASSWORD, SHARED_SECRET, { endpoint: `${bed.server.url}/push/send.php` });
      const receipt = await push.sendMsg("Door", "Opened", "MyChannel", { maxRetries: 0, state: 1 });
      assert.equal(receipt.channel, CHANNEL);

      await fake.waitFor(() => fake.accepted.length === 1);
      const [stored] = await bed.server.storage.listMessages(CHANNEL, { limit: 10 });
      assert.ok(stored);
      const [sent] = fake.accepted;
      assert.ok(sent);
      assert.equal(sent.rawBody, `{"message":{"topic":"${CHANNEL}","data":{"payload":"${stored.payload}"},"android":{"priority":"high"}}}`);
      assert.equal(sent.headers.authorization, `Bearer ${fake.issuedTokens[0]}`);
      assert.match(sent.headers["content-type"] ?? "", /^application\/json/);
      assert.deepEqual(
        fake.requests.map((r) => [r.path, r.status]),
        [[`/v1/projects/${PROJECT}/messages:send`, 200]],
      );
      // The JWT passed every check of the token endpoint (signature, iss, scope, aud, iat, exp).
      assert.deepEqual(fake.tokenRequests, [{ status: 200, problem: undefined }]);
    });

    test("reuses the access token for later messages", async () => {
      const before = fake.accepted.length;
      for (let i = 0; i < 3; i++) assert.equal(await bed.sendRaw(CHANNEL, fakeEnvelope(64, String(i))), 0);
      await fake.waitFor(() => fake.accepted.length === before + 3);
      assert.equal(fake.tokenRequests.length, 1);
    });

    test("refuses at once with code 4 a message that cannot fit FCM's limit, storing nothing", async () => {
      const storedBefore = await bed.server.storage.countMessages();
      const requestsBefore = fake.requests.length;
      assert.equal(await bed.sendRaw(CHANNEL, fakeEnvelope(4090)), ResultCode.GOOGLE_MSG_TOO_LARGE);
      assert.equal(await bed.server.storage.countMessages(), storedBefore);
      // The largest message that fits is accepted and delivered.
      const largest = 4096 - `{"topic":"${CHANNEL}","data":{"payload":""},"android":{"priority":"high"}}`.length;
      assert.equal(await bed.sendRaw(CHANNEL, fakeEnvelope(largest + 1)), ResultCode.GOOGLE_MSG_TOO_LARGE);
      assert.equal(await bed.sendRaw(CHANNEL, fakeEnvelope(largest)), 0);
      await fake.waitFor(() => fake.requests.length === requestsBefore + 1);
      assert.equal(fake.requests.at(-1)?.status, 200);
    });

    test("maps each FCM answer to its result code, retrying 5 and 7 and dropping 4 and 6", async () => {
      const cases: [FcmFailure, number, "retry" | "dropped"][] = [
        ["too-big", ResultCode.GOOGLE_MSG_TOO_LARGE, "dropped"],
        ["invalid-argument", ResultCode.GOOGLE_UNKNOWN, "dropped"],
        ["unregistered", ResultCode.GOOGLE_UNKNOWN, "dropped"],
        ["unauthenticated", ResultCode.GOOGLE_AUTH, "retry"],
        ["sender-id-mismatch", ResultCode.GOOGLE_AUTH, "retry"],
        ["quota-exceeded", ResultCode.GOOGLE_CONNECTION, "retry"],
        ["internal", ResultCode.GOOGLE_CONNECTION, "retry"],
        ["unavailable", ResultCode.GOOGLE_CONNECTION, "retry"],
        ["drop-connection", ResultCode.GOOGLE_CONNECTION, "retry"],
      ];
      const { metrics } = bed.delivery;
      for (const [failure, code, outcome] of cases) {
        const retried = metrics.count("retried", "fcm", code);
        const dropped = metrics.count("dropped", "fcm", code);
        fake.answerNext({ failure });
        assert.equal(await bed.sendRaw(CHANNEL, fakeEnvelope(40, failure)), 0, failure);
        await waitUntil(() => metrics.count("retried", "fcm", code) + metrics.count("dropped", "fcm", code) > retried + dropped);
        assert.equal(metrics.count("retried", "fcm", code), retried + (outcome === "retry" ? 1 : 0), failure);
        assert.equal(metrics.count("dropped", "fcm", code), dropped + (outcome === "dropped" ? 1 : 0), failure);
        // The metric moves before the outbox row is rescheduled; the log line follows that write.
        await waitUntil(
          () =>
            bed.server.logs.some(
              (line) => line.includes(`"code":${code}`) && line.includes(outcome === "retry" ? "will retry" : "dropped"),
            ),
          20_000,
          `a log line for ${failure}`,
        );
      }
      // The failures show in /metrics too.
      const text = await (await fetch(`${bed.server.url}/metrics`)).text();
      assert.match(text, /lwp_push_failures_total\{adapter="fcm",code="4",outcome="dropped"\} 1/);
      assert.match(text, /lwp_push_failures_total\{adapter="fcm",code="5",outcome="retry"\} 4/);
    });
  });

  describe(`FCM delivery: tokens and retries (${factory.name})`, () => {
    test("maps token endpoint failures: invalid grant 7, unavailable 5; a refused token is replaced after 401", async () => {
      const bed = await DeliveryTestBed.create(factory);
      const account = createServiceAccount(bed.fixture.dataDir, PROJECT);
      const fake = await FakeFcm.start({ projectId: PROJECT, serviceAccount: account });
      try {
        await bed.start(fcmConfig(account, fake));
        const { metrics } = bed.delivery;

        fake.answerTokenNext("invalid-grant");
        assert.equal(await bed.sendRaw(CHANNEL, fakeEnvelope(40, "a")), 0);
        await waitUntil(() => metrics.count("retried", "fcm", ResultCode.GOOGLE_AUTH) === 1);
        await bed.settled();
        assert.equal(fake.requests.length, 0);

        bed.clock.advance(5000);
        await fake.waitFor(() => fake.accepted.length === 1);
        await bed.settled();

        fake.revokeTokens();
        assert.equal(await bed.sendRaw(CHANNEL, fakeEnvelope(40, "b")), 0);
        await waitUntil(() => metrics.count("retried", "fcm", ResultCode.GOOGLE_AUTH) === 2);
        await bed.settled();
        fake.answerTokenNext("unavailable");
        bed.clock.advance(5000);
        await waitUntil(() => metrics.count("retried", "fcm", ResultCode.GOOGLE_CONNECTION) === 1);
        await bed.settled();
        bed.clock.advance(10_000);
        await fake.waitFor(() => fake.accepted.length === 2);
        // One token for the first send, one refused, one after the 401.
        assert.deepEqual(
          fake.tokenRequests.map((t) => t.status),
          [400, 200, 503, 200],
        );
        assert.equal(fake.accepted[1]?.headers.authorization, `Bearer ${fake.issuedTokens[1]}`);
      } finally {
        await bed.close();
        await fake.close();
      }
    });

    test("fetches a new token when the cached one nears expiry", async () => {
      const bed = await DeliveryTestBed.create(factory);
      const account = createServiceAccount(bed.fixture.dataDir, PROJECT);
      // Tokens that expire within the library's 5-minute refresh margin are never reused.
      const fake = await FakeFcm.start({ projectId: PROJECT, serviceAccount: account, tokenLifetimeSeconds: 120 });
      try {
        await bed.start(fcmConfig(account, fake));
        assert.equal(await bed.sendRaw(CHANNEL, fakeEnvelope(40, "a")), 0);
        await fake.waitFor(() => fake.accepted.length === 1);
        assert.equal(await bed.sendRaw(CHANNEL, fakeEnvelope(40, "b")), 0);
        await fake.waitFor(() => fake.accepted.length === 2);
        assert.equal(fake.tokenRequests.length, 2);
        assert.notEqual(fake.accepted[0]?.headers.authorization, fake.accepted[1]?.headers.authorization);
      } finally {
        await bed.close();
        await fake.close();
      }
    });

    test("retries from the outbox with backoff across a server restart, delivering each message once", async () => {
      const bed = await DeliveryTestBed.create(factory);
      const account = createServiceAccount(bed.fixture.dataDir, PROJECT);
      const fake = await FakeFcm.start({ projectId: PROJECT, serviceAccount: account });
      try {
        await bed.start(fcmConfig(account, fake));
        fake.answerNext({ failure: "unavailable" }, { failure: "unavailable" });
        assert.equal(await bed.sendRaw(CHANNEL, "first"), 0);
        assert.equal(await bed.sendRaw(CHANNEL, "second"), 0);
        await fake.waitFor(() => fake.requests.length === 2);
        await bed.settled();
        assert.equal(fake.accepted.length, 0);
        assert.equal(bed.clock.nextTimerInMs(), 5000);

        await bed.stop();
        // Back after 4.999 s: nothing is due yet.
        bed.clock.advance(4999);
        await bed.start(fcmConfig(account, fake));
        await bed.settled();
        assert.equal(fake.requests.length, 2);

        bed.clock.advance(1);
        await fake.waitFor(() => fake.accepted.length === 2);
        await bed.settled();
        assert.deepEqual(fake.accepted.map((m) => m.payload).sort(), ["first", "second"]);
        assert.equal(fake.requests.length, 4);

        // Nothing left: much later, still no more requests.
        bed.clock.advance(86_400_000);
        bed.delivery.wake();
        await bed.settled();
        assert.equal(fake.requests.length, 4);
        const store = await bed.openStore();
        assert.equal(await store.countOutbox("fcm"), 0);
        await store.close();
      } finally {
        await bed.close();
        await fake.close();
      }
    });

    test("an attempt cut short by a crash is taken over by the next server once its lease ends, delivering once", async () => {
      const bed = await DeliveryTestBed.create(factory);
      const account = createServiceAccount(bed.fixture.dataDir, PROJECT);
      const fake = await FakeFcm.start({ projectId: PROJECT, serviceAccount: account });
      let second: TestServer | undefined;
      try {
        // The first server's attempt never gets an answer: as if it died mid-request.
        await bed.start(fcmConfig(account, fake));
        fake.answerNext({ failure: "hang" });
        assert.equal(await bed.sendRaw(CHANNEL, "survivor"), 0);
        await fake.waitFor(() => fake.requests.length === 1);

        const takeover = createDeliveryExtension({ clock: bed.clock, requestTimeoutMs: 10_000 });
        second = await startTestServer(bed.fixture, {
          config: bed.serverConfig(fcmConfig(account, fake)),
          deps: { extensions: [takeover], now: bed.clock.now },
          listen: true,
        });
        await takeover.settled();
        assert.equal(fake.requests.length, 1, "the claimed row is not taken while its lease runs");

        // Lease: twice the request timeout plus a minute.
        bed.clock.advance(2 * 10_000 + 60_000);
        await fake.waitFor(() => fake.accepted.length === 1);
        await takeover.settled();
        fake.releaseHung();
        await bed.stop();
        assert.deepEqual(
          fake.accepted.map((m) => m.payload),
          ["survivor"],
        );
        const store = await bed.openStore();
        assert.equal(await store.countOutbox("fcm"), 0);
        await store.close();
      } finally {
        await second?.close();
        await bed.close();
        await fake.close();
      }
    });

    test("honours Retry-After and doubles the wait after each failure", async () => {
      const bed = await DeliveryTestBed.create(factory);
      const account = createServiceAccount(bed.fixture.dataDir, PROJECT);
      const fake = await FakeFcm.start({ projectId: PROJECT, serviceAccount: account });
      try {
        await bed.start(fcmConfig(account, fake));
        fake.answerNext({ failure: "quota-exceeded", retryAfterSeconds: 60 }, { failure: "internal" }, { failure: "internal" });
        assert.equal(await bed.sendRaw(CHANNEL, "m"), 0);
        const waits: (number | undefined)[] = [];
        for (let attempt = 1; attempt <= 3; attempt++) {
          await fake.waitFor(() => fake.requests.length === attempt);
          await bed.settled();
          const wait = bed.clock.nextTimerInMs();
          waits.push(wait);
          bed.clock.advance((wait ?? 0) - 1);
          await bed.settled();
          assert.equal(fake.requests.length, attempt, "no attempt before the wait is over");
          bed.clock.advance(1);
        }
        // Retry-After 60 s beats the first 5 s; then 10 s and 20 s (attempts 2 and 3).
        assert.deepEqual(waits, [60_000, 10_000, 20_000]);
        await fake.waitFor(() => fake.accepted.length === 1);
      } finally {
        await bed.close();
        await fake.close();
      }
    });

    test("gives up after the last attempt, with a log line and a metric", async () => {
      const bed = await DeliveryTestBed.create(factory);
      const account = createServiceAccount(bed.fixture.dataDir, PROJECT);
      const fake = await FakeFcm.start({ projectId: PROJECT, serviceAccount: account });
      try {
        await bed.start(fcmConfig(account, fake), { retry: { maxAttempts: 3 } });
        fake.answerNext({ failure: "unavailable" }, { failure: "unavailable" }, { failure: "unavailable" });
        assert.equal(await bed.sendRaw(CHANNEL, "doomed"), 0);
        for (let attempt = 1; attempt <= 3; attempt++) {
          await fake.waitFor(() => fake.requests.length === attempt);
          await bed.settled();
          bed.clock.advance(bed.clock.nextTimerInMs() ?? 0);
        }
        await bed.settled();
        assert.equal(bed.clock.nextTimerInMs(), undefined, "no retry left");
        assert.equal(bed.delivery.metrics.count("retried", "fcm", ResultCode.GOOGLE_CONNECTION), 2);
        assert.equal(bed.delivery.metrics.count("dropped", "fcm", ResultCode.GOOGLE_CONNECTION), 1);
        assert.ok(bed.server.logs.some((line) => line.includes("delivery failed permanently") && line.includes('"gaveUp":true')));
        assert.ok(!bed.server.logs.some((line) => line.includes("doomed")), "no payload in the logs");
      } finally {
        await bed.close();
        await fake.close();
      }
    });

    test("after FCM was off, catches up on recent messages but not on ones older than a day", async () => {
      const bed = await DeliveryTestBed.create(factory);
      const account = createServiceAccount(bed.fixture.dataDir, PROJECT);
      const fake = await FakeFcm.start({ projectId: PROJECT, serviceAccount: account });
      try {
        await bed.start(fcmConfig(account, fake));
        await bed.stop();
        await bed.start({});
        assert.equal(await bed.sendRaw(CHANNEL, "stale"), 0);
        bed.clock.advance(86_400_000 - 60_000);
        assert.equal(await bed.sendRaw(CHANNEL, "recent"), 0);
        bed.clock.advance(120_000);
        await bed.stop();
        await bed.start(fcmConfig(account, fake));
        await fake.waitFor(() => fake.accepted.length === 1);
        await bed.settled();
        assert.deepEqual(
          fake.accepted.map((m) => m.payload),
          ["recent"],
        );
        assert.equal(bed.delivery.metrics.count("expired", "fcm"), 1);
      } finally {
        await bed.close();
        await fake.close();
      }
    });

    test("is off without a service account: big messages are accepted and nothing goes to FCM", async () => {
      const bed = await DeliveryTestBed.create(factory);
      const account = createServiceAccount(bed.fixture.dataDir, PROJECT);
      const fake = await FakeFcm.start({ projectId: PROJECT, serviceAccount: account });
      try {
        await bed.start({ fcmTokenUrl: fake.tokenUrl, fcmBaseUrl: fake.baseUrl });
        assert.equal(await bed.sendRaw(CHANNEL, fakeEnvelope(4090)), 0);
        await bed.settled();
        assert.equal(fake.requests.length + fake.tokenRequests.length, 0);
        // Turning FCM on later does not replay the cache.
        await bed.stop();
        await bed.start(fcmConfig(account, fake));
        await bed.settled();
        assert.equal(fake.requests.length, 0);
        assert.equal(await bed.sendRaw(CHANNEL, "after"), 0);
        await fake.waitFor(() => fake.accepted.length === 1);
        assert.equal(fake.accepted[0]?.payload, "after");
      } finally {
        await bed.close();
        await fake.close();
      }
    });
  });
}

async function waitUntil(condition: () => boolean, timeoutMs = 20_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not met in time`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
