/**
 * The stand-ins for Google and the push services refuse what the real ones
 * refuse; otherwise the delivery tests could pass against a lenient fake
 * while the real service would say no.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync, sign } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import webpush from "web-push";
import { FcmAccessTokens, readServiceAccount } from "../../src/delivery/index.js";
import { createServiceAccount, FakeFcm, GOOGLE_TOKEN_AUDIENCE, type TestServiceAccount } from "../fixtures/fake-fcm.js";
import { FakePushService } from "../fixtures/fake-push-service.js";

function jwt(header: object, claims: object, key: Parameters<typeof sign>[2]): string {
  const part = (o: object): string => Buffer.from(JSON.stringify(o)).toString("base64url");
  const input = `${part(header)}.${part(claims)}`;
  return `${input}.${sign("RSA-SHA256", Buffer.from(input), key).toString("base64url")}`;
}

describe("fake Google token endpoint and FCM", () => {
  let dir: string;
  let account: TestServiceAccount;
  let fake: FakeFcm;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "lwp-fake-fcm-"));
    account = createServiceAccount(dir, "p1");
    fake = await FakeFcm.start({ projectId: "p1", serviceAccount: account });
  });
  after(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function tokenWith(assertion: string): Promise<number> {
    const response = await fetch(fake.tokenUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion }).toString(),
    });
    return response.status;
  }

  test("refuses JWTs with another key, issuer, audience, scope or lifetime", async () => {
    const now = Math.floor(Date.now() / 1000);
    const good = {
      iss: account.json.client_email,
      scope: "https://www.googleapis.com/auth/firebase.messaging",
      aud: GOOGLE_TOKEN_AUDIENCE,
      iat: now,
      exp: now + 3600,
    };
    const key = account.json.private_key;
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    assert.equal(await tokenWith(jwt({ alg: "RS256", typ: "JWT" }, good, key)), 200);
    assert.equal(await tokenWith(jwt({ alg: "RS256", typ: "JWT" }, good, other)), 400);
    assert.equal(await tokenWith(jwt({ alg: "RS256" }, { ...good, iss: "someone@else.iam.gserviceaccount.com" }, key)), 400);
    assert.equal(await tokenWith(jwt({ alg: "RS256" }, { ...good, aud: fake.tokenUrl }, key)), 400);
    assert.equal(await tokenWith(jwt({ alg: "RS256" }, { ...good, scope: "https://www.googleapis.com/auth/userinfo.email" }, key)), 400);
    assert.equal(await tokenWith(jwt({ alg: "RS256" }, { ...good, exp: now + 7200 }, key)), 400);
    assert.equal(await tokenWith(jwt({ alg: "RS256" }, { ...good, iat: now - 7200, exp: now - 3600 }, key)), 400);
    assert.equal(await tokenWith(jwt({ alg: "HS256" }, good, key)), 400);
  });

  test("refuses sends without a live token or with another message shape", async () => {
    const tokens = new FcmAccessTokens({ serviceAccount: readServiceAccount(account.file), tokenUrl: fake.tokenUrl });
    const token = await tokens.get();
    const send = async (body: unknown, bearer = token): Promise<number> =>
      (
        await fetch(`${fake.baseUrl}/v1/projects/p1/messages:send`, {
          method: "POST",
          headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" },
          body: JSON.stringify(body),
        })
      ).status;
    const message = { topic: "538113b2_c", data: { payload: "x" }, android: { priority: "high" } };
    assert.equal(await send({ message }), 200);
    assert.equal(await send({ message }, "ya29.made-up"), 401);
    assert.equal(await send({ message: { ...message, topic: "/topics/538113b2_c" } }), 400);
    assert.equal(await send({ message: { ...message, android: { priority: "normal" } } }), 400);
    assert.equal(await send({ message: { ...message, data: { payload: "x", extra: "y" } } }), 400);
    assert.equal(await send({ message: { ...message, notification: { title: "t" } } }), 400);
    assert.equal(await send({ message: { ...message, data: { payload: "x".repeat(4090) } } }), 400);
    assert.equal(fake.requests.at(-1)?.problem, "Android message is too big");
    fake.revokeTokens();
    assert.equal(await send({ message }), 401);
  });
});

describe("fake push service", () => {
  let push: FakePushService;
  const keys = webpush.generateVAPIDKeys();
  const vapid = { subject: "mailto:ops@example.org", publicKey: keys.publicKey, privateKey: keys.privateKey };

  before(async () => {
    push = await FakePushService.start();
  });
  after(async () => {
    await push.close();
  });

  async function post(details: { endpoint: string; headers: Record<string, string | number>; body: Buffer | null }): Promise<number> {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(details.headers)) headers[k] = String(v);
    const response = await fetch(details.endpoint, {
      method: "POST",
      headers,
      ...(details.body === null ? {} : { body: Uint8Array.from(details.body) }),
    });
    return response.status;
  }

  test("accepts what web-push builds and decrypts it with the browser's keys", async () => {
    const subscription = push.createSubscription({ applicationServerKey: keys.publicKey });
    const details = webpush.generateRequestDetails(subscription, "hello browser", { vapidDetails: vapid, TTL: 60, urgency: "high" });
    assert.equal(await post(details), 201);
    assert.equal(push.deliveriesTo(subscription.endpoint)[0]?.plaintext, "hello browser");
  });

  test("refuses another VAPID key, a missing TTL or Urgency, and a body not encrypted to the subscription", async () => {
    const subscription = push.createSubscription({ applicationServerKey: keys.publicKey });
    const otherKeys = webpush.generateVAPIDKeys();
    const other = webpush.generateRequestDetails(subscription, "x", {
      vapidDetails: { ...vapid, publicKey: otherKeys.publicKey, privateKey: otherKeys.privateKey },
      TTL: 60,
      urgency: "high",
    });
    assert.equal(await post(other), 403);

    const good = webpush.generateRequestDetails(subscription, "x", { vapidDetails: vapid, TTL: 60, urgency: "high" });
    const withoutTtl = { ...good, headers: Object.fromEntries(Object.entries(good.headers).filter(([k]) => k !== "TTL")) };
    assert.equal(await post(withoutTtl), 400);
    const withoutUrgency = { ...good, headers: Object.fromEntries(Object.entries(good.headers).filter(([k]) => k !== "Urgency")) };
    assert.equal(await post(withoutUrgency), 400);

    const stranger = push.createSubscription();
    const forStranger = webpush.generateRequestDetails(stranger, "x", { vapidDetails: vapid, TTL: 60, urgency: "high" });
    assert.equal(await post({ ...forStranger, endpoint: subscription.endpoint }), 400);

    const tampered = Buffer.from(good.body);
    tampered[tampered.length - 1] = (tampered.at(-1) ?? 0) ^ 1;
    assert.equal(await post({ ...good, body: tampered }), 400);
    assert.equal(push.deliveriesTo(subscription.endpoint).length, 0);
  });
});
