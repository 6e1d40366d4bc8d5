/**
 * PostgreSQL restarted (`pg_ctl stop -m fast`, then start) under a stream of
 * sends to two instances: senders get retryable answers meanwhile, the
 * instances reconnect by themselves, and every acknowledged message is in
 * the cache afterwards. Runs on its own PostgreSQL cluster so the rest of
 * the suite is not disturbed.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { isRetryable } from "lightweightpush/protocol";
import { openPostgresStorage } from "../../src/storage/postgres/postgres-storage.js";
import { withSchema } from "../helpers/postgres-factory.js";
import { addTestAccount, waitFor } from "../helpers/test-server.js";
import { SendStream } from "./send-stream.js";
import {
  assertReceivedAll,
  channelPrefix,
  ResumingSubscriber,
  requireServiceEnv,
  startConfiguredServer,
  startOwnPostgres,
} from "./services.js";

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

test("PostgreSQL restarted under a stream of sends: retryable answers meanwhile, then every acknowledged message is cached", async () => {
  const postgres = await startOwnPostgres();
  cleanups.push(() => postgres.destroy());
  const databaseUrl = withSchema(postgres.url, "push");
  const config = { databaseUrl, redisUrl: requireServiceEnv("LWP_TEST_REDIS_URL") };
  const a = await startConfiguredServer(config);
  cleanups.push(() => a.close());
  const b = await startConfiguredServer(config);
  cleanups.push(() => b.close());

  const username = `pg-restart-${process.pid}@example.org`;
  await addTestAccount(a.server.context.storage, username, "pw");
  const channel = `${channelPrefix(username)}_Stream`;
  const subscriber = new ResumingSubscriber([b.url, a.url], channel);
  cleanups.push(() => subscriber.stop());
  await subscriber.opened;

  const sends = new SendStream([a.url, b.url], { username, password: "pw", channel });
  cleanups.push(() => sends.stop());
  await waitFor(() => sends.acknowledged.length >= 20);
  await postgres.stop();
  await waitFor(() => sends.refusals.length >= 3);
  // A subscriber arriving during the outage is not left on a stream that never delivers: it is closed and retries.
  const arrivedDuringOutage = new ResumingSubscriber([a.url], channel, { since: "all" });
  cleanups.push(() => arrivedDuringOutage.stop());
  await postgres.start();
  const acknowledgedBeforeRestart = sends.acknowledged.length;
  await waitFor(() => sends.acknowledged.length >= acknowledgedBeforeRestart + 20);
  await sends.stop();

  assert.ok(sends.refusals.length >= 3, "senders were refused while PostgreSQL was down");
  assert.deepEqual(
    sends.refusals.filter((code) => !isRetryable(code)),
    [],
    "every refusal while PostgreSQL was down is one senders retry",
  );
  const check = await openPostgresStorage({ url: databaseUrl });
  try {
    const cached = (await check.listMessages(channel, { limit: 100_000 })).map((m) => m.payload);
    const missing = sends.acknowledged.filter((p) => !cached.includes(p));
    assert.deepEqual(missing, [], "every acknowledged message is in the cache");
  } finally {
    await check.close();
  }
  for (const reader of [subscriber, arrivedDuringOutage]) await assertReceivedAll(reader, sends.acknowledged);
});
