#!/usr/bin/env node
// Delivery benchmark (not a test): prints figures, asserts nothing about speed.
//   node --import tsx packages/server/test/delivery/delivery-bench.mjs
// 1. Send throughput through POST /push/send.php (autocannon, 50 connections)
//    without delivery, and with delivery on but nothing to deliver (FCM off,
//    no browser subscribed): the cost delivery adds to the send path.
// 2. Drain rate of the outbox: N messages stored at once, delivered to a local
//    FCM stand-in and to K Web Push subscriptions of a local push service.
//    The stand-ins run in this process and verify/decrypt every request, so
//    the figures are a lower bound for the server alone.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { hashPassword } from "../../src/auth/password.ts";
import { resolveConfig } from "../../src/config/load.ts";
import { createDeliveryExtension } from "../../src/delivery/index.ts";
import { createServer } from "../../src/server.ts";
import { openSqliteStorage, SQLITE_FILE_NAME } from "../../src/storage/sqlite/sqlite-storage.ts";
import { createServiceAccount, FakeFcm } from "../fixtures/fake-fcm.ts";
import { FakePushService } from "../fixtures/fake-push-service.ts";
import { formBody, pythonFrame } from "../helpers/test-server.ts";

const CHANNEL = "538113b2_bench";
const MESSAGES = Number(process.env.LWP_BENCH_MESSAGES ?? 2000);
const SUBSCRIPTIONS = Number(process.env.LWP_BENCH_SUBSCRIPTIONS ?? 2);
const ROUNDS = Number(process.env.LWP_BENCH_ROUNDS ?? 2);

async function freshDataDir() {
  const dataDir = await mkdtemp(join(tmpdir(), "lwp-delivery-bench-"));
  const storage = openSqliteStorage({ path: join(dataDir, SQLITE_FILE_NAME) });
  await storage.addAccount({ username: "bench@example.org", passwordHash: await hashPassword("pw", 4), createdAtMs: Date.now() });
  await storage.close();
  return dataDir;
}

async function sendRate(withDelivery) {
  const dataDir = await freshDataDir();
  const config = resolveConfig({ port: 0, dataDir, webRoot: "", logLevel: "warn", accountSendsPerWindow: 0, addressSendsPerWindow: 0 });
  const server = await createServer(config, { extensions: withDelivery ? [createDeliveryExtension()] : [] });
  const url = await server.listen();
  const body = formBody(pythonFrame({ username: "bench@example.org", password: "pw", channel: CHANNEL, data: "A".repeat(200) }));
  const result = await autocannon({
    url: `${url}/push/send.php`,
    method: "POST",
    connections: 50,
    duration: 5,
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body,
  });
  await server.close();
  await rm(dataDir, { recursive: true, force: true });
  return result.requests.average;
}

async function drainRate() {
  const dataDir = await freshDataDir();
  const account = createServiceAccount(dataDir, "bench");
  const fcm = await FakeFcm.start({ projectId: "bench", serviceAccount: account });
  const push = await FakePushService.start();
  const config = resolveConfig({
    port: 0,
    dataDir,
    webRoot: "",
    logLevel: "warn",
    fcmServiceAccountFile: account.file,
    fcmTokenUrl: fcm.tokenUrl,
    fcmBaseUrl: fcm.baseUrl,
    webPushEndpointHosts: push.origin,
  });
  const delivery = createDeliveryExtension();
  const server = await createServer(config, { extensions: [delivery] });
  const url = await server.listen();
  for (let i = 0; i < SUBSCRIPTIONS; i++) {
    const subscription = push.createSubscription();
    await fetch(`${url}/v1/webpush/subscriptions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ subscription, channels: [CHANNEL] }),
    });
  }
  const started = performance.now();
  const messages = Array.from({ length: MESSAGES }, (_, i) => ({
    channel: CHANNEL,
    payload: `m${i}${"A".repeat(200)}`,
    timeMs: Date.now(),
  }));
  await server.context.storage.insertMessages(messages);
  // What the send route's commit hook does; here the messages went straight to storage.
  delivery.wake();
  const finished = async (wait) => {
    await wait.catch(() => {});
    return (performance.now() - started) / 1000;
  };
  const [fcmSeconds, webPushSeconds] = await Promise.all([
    finished(fcm.waitFor(() => fcm.accepted.length >= MESSAGES, 600_000)),
    finished(push.waitFor(() => push.deliveries.length >= MESSAGES * SUBSCRIPTIONS, 600_000)),
  ]);
  const figures = {
    fcmPerSecond: fcm.accepted.length / fcmSeconds,
    webPushPerSecond: push.deliveries.length / webPushSeconds,
    duplicates: push.deliveries.length - new Set(push.deliveries.map((d) => `${d.endpoint} ${JSON.parse(d.plaintext).id}`)).size,
  };
  await server.close();
  await fcm.close();
  await push.close();
  await rm(dataDir, { recursive: true, force: true });
  return figures;
}

const without = [];
const withDelivery = [];
for (let round = 0; round < ROUNDS; round++) {
  // LWP_BENCH_ROUNDS=0 measures only the drain.
  without.push(await sendRate(false));
  withDelivery.push(await sendRate(true));
}
const best = (xs) => Math.round(Math.max(...xs));
if (ROUNDS > 0) {
  console.log(`sends/s without delivery (best of ${ROUNDS}):            ${best(without)}`);
  console.log(`sends/s with delivery, nothing to deliver (best of ${ROUNDS}): ${best(withDelivery)}`);
}
const drain = await drainRate();
console.log(
  `outbox drain, ${MESSAGES} messages, FCM + ${SUBSCRIPTIONS} Web Push subscriptions: ` +
    `FCM ${Math.round(drain.fcmPerSecond)}/s, Web Push ${Math.round(drain.webPushPerSecond)} pushes/s, duplicates ${drain.duplicates}`,
);
