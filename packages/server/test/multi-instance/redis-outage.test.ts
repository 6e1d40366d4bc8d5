/**
 * Redis stops and starts again under a stream of sends to two instances:
 * senders get retryable answers meanwhile, and no acknowledged message is
 * lost for subscribers that resume with Last-Event-ID.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { isRetryable } from "lightweightpush/protocol";
import { createPostgresFixture } from "../helpers/postgres-factory.js";
import { addTestAccount, waitFor } from "../helpers/test-server.js";
import { SendStream } from "./send-stream.js";
import {
  assertReceivedAll,
  channelPrefix,
  ResumingSubscriber,
  requireServiceEnv,
  startConfiguredServer,
  startOwnRedis,
} from "./services.js";

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

test("Redis restarted under a stream of sends: no acknowledged message is lost for resuming subscribers", async () => {
  const redis = await startOwnRedis();
  cleanups.push(() => redis.stop());
  const fixture = await createPostgresFixture(requireServiceEnv("LWP_TEST_DATABASE_URL"));
  cleanups.push(() => fixture.cleanup());
  const config = { databaseUrl: fixture.databaseUrl, redisUrl: redis.url, dataDir: fixture.dataDir };
  const a = await startConfiguredServer(config);
  cleanups.push(() => a.close());
  const b = await startConfiguredServer(config);
  cleanups.push(() => b.close());

  const username = "outage@example.org";
  await addTestAccount(a.server.context.storage, username, "pw");
  const channel = `${channelPrefix(username)}_Stream`;
  const onB = new ResumingSubscriber([b.url], channel);
  const onA = new ResumingSubscriber([a.url], channel);
  const roaming = new ResumingSubscriber([a.url, b.url], channel, { since: "all" });
  cleanups.push(
    () => onB.stop(),
    () => onA.stop(),
    () => roaming.stop(),
  );
  await Promise.all([onB.opened, onA.opened, roaming.opened]);

  const sends = new SendStream([a.url, b.url], { username, password: "pw", channel });
  cleanups.push(() => sends.stop());
  await waitFor(() => sends.acknowledged.length >= 20);
  await redis.stop();
  await waitFor(() => sends.refusals.length >= 3);
  const acknowledgedBeforeRestart = sends.acknowledged.length;
  await redis.start();
  await waitFor(() => sends.acknowledged.length >= acknowledgedBeforeRestart + 20);
  await sends.stop();

  assert.ok(sends.refusals.length >= 3);
  assert.deepEqual(
    sends.refusals.filter((code) => !isRetryable(code)),
    [],
    "every refusal while Redis was down is one senders retry",
  );
  for (const subscriber of [onB, onA, roaming]) await assertReceivedAll(subscriber, sends.acknowledged);
});
