/**
 * {@link Counters} shared through Redis, so that a brute-force block or a
 * rate limit earned on one server instance holds on every other. Chosen
 * with `--redis-url`.
 *
 * Windows and blocks are Redis keys with a millisecond expiry, so Redis's
 * clock (not the instances') decides when they end. While Redis is
 * unreachable every call rejects at once (no offline queue): the send route
 * answers with a retryable code rather than skipping the guard.
 *
 * @module
 */
import { Redis } from "ioredis";
import { closeRedis, redisClientOptions, waitReady } from "../fanout/redis-connection.js";
import type { Counters } from "./counters.js";

/** Settings of {@link RedisCounters}. */
export interface RedisCountersOptions {
  /** `redis://[[user]:password@]host[:port][/db]` or `rediss://` for TLS. */
  readonly url: string;
  /**
   * Prefix of every key, so several deployments can share one Redis.
   * @default "lwp:"
   */
  readonly keyPrefix?: string;
  /** How long one command may take before it fails, ms. @default 2000 */
  readonly commandTimeoutMs?: number;
  /** Connection errors (Redis going away); the client reconnects by itself. @default ignored */
  readonly onError?: (error: Error) => void;
}

// INCR and PEXPIRE in one script: a crash between them would leave a counter that never expires.
const INCREMENT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count
`;

/**
 * Fixed-window counters and blocks in Redis, with the same semantics as
 * {@link MemoryCounters}.
 *
 * @example
 * const counters = new RedisCounters({ url: "redis://127.0.0.1:6379" });
 * await counters.block("bf-block:alice", 60_000);
 */
export class RedisCounters implements Counters {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(options: RedisCountersOptions) {
    this.#prefix = options.keyPrefix ?? "lwp:";
    this.#redis = new Redis(options.url, redisClientOptions(options.commandTimeoutMs ?? 2000, "lwp-counters"));
    const onError = options.onError ?? (() => {});
    this.#redis.on("error", (error: Error) => onError(error));
    this.#redis.defineCommand("lwpIncrement", { numberOfKeys: 1, lua: INCREMENT_SCRIPT });
  }

  /** Resolves once connected; rejects if Redis cannot be reached now (used at start, to fail fast on a wrong URL). */
  async ready(): Promise<void> {
    await waitReady(this.#redis);
  }

  async increment(key: string, windowMs: number): Promise<number> {
    const redis = this.#redis as Redis & { lwpIncrement(key: string, windowMs: number): Promise<number> };
    return Number(await redis.lwpIncrement(`${this.#prefix}count:${key}`, Math.max(1, Math.ceil(windowMs))));
  }

  async reset(key: string): Promise<void> {
    await this.#redis.del(`${this.#prefix}count:${key}`);
  }

  async block(key: string, durationMs: number): Promise<void> {
    await this.#redis.set(`${this.#prefix}block:${key}`, "1", "PX", Math.max(1, Math.ceil(durationMs)));
  }

  async isBlocked(key: string): Promise<boolean> {
    return (await this.#redis.exists(`${this.#prefix}block:${key}`)) === 1;
  }

  async close(): Promise<void> {
    await closeRedis(this.#redis);
  }
}
