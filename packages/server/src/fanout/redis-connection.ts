/**
 * Connection settings and helpers shared by the server's Redis clients
 * (the fan-out bus in this folder and `auth/redis-counters.ts`).
 *
 * @module
 */
import type { Redis, RedisOptions } from "ioredis";

/**
 * Client options shared by the server's Redis connections. Commands wait
 * for the first connection; while Redis is gone they fail at the next
 * failed reconnect attempt (within about 2 s) instead of queueing
 * without bound, so callers answer with a retryable code. Reconnects
 * forever with a capped backoff.
 */
export function redisClientOptions(commandTimeoutMs: number, connectionName: string) {
  return {
    enableOfflineQueue: true,
    // 0: queued commands fail at the first failed reconnect attempt, not after 20.
    maxRetriesPerRequest: 0,
    commandTimeout: commandTimeoutMs,
    connectTimeout: 5000,
    connectionName,
    // 50 ms, 100 ms, ... capped at 2 s: back soon after a Redis restart, without hammering it.
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times - 1, 6), 2000),
    lazyConnect: false,
    // Commands issued in the same tick (one per concurrent send) go out in one write.
    enableAutoPipelining: true,
  } satisfies RedisOptions;
}

/** Resolves when the client is ready; rejects with the first connection error. */
export function waitReady(redis: Redis): Promise<void> {
  if (redis.status === "ready") return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onReady = () => {
      redis.off("error", onError);
      resolve();
    };
    const onError = (error: Error) => {
      redis.off("ready", onReady);
      reject(error);
    };
    redis.once("ready", onReady);
    redis.once("error", onError);
  });
}

/** QUIT when connected (lets pending replies arrive), else just stop reconnecting. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === "end") return;
  if (redis.status === "ready") {
    await redis.quit().catch(() => redis.disconnect());
  } else {
    redis.disconnect();
  }
}
