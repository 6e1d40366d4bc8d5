/**
 * Brute-force and rate-limit counters shared through Redis: what one
 * instance counts, every instance sees.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { RedisCounters } from "../../src/auth/redis-counters.js";
import { waitFor } from "../helpers/test-server.js";
import { requireServiceEnv, startOwnRedis } from "./services.js";

describe("Redis counters", () => {
  const twoInstances = (url: string): [RedisCounters, RedisCounters] => {
    // A fresh prefix per test: the CI Redis is shared by the whole suite.
    const keyPrefix = `lwp-test-${randomBytes(6).toString("hex")}:`;
    return [new RedisCounters({ url, keyPrefix }), new RedisCounters({ url, keyPrefix })];
  };

  test("counts and blocks are shared by instances", async () => {
    const [a, b] = twoInstances(requireServiceEnv("LWP_TEST_REDIS_URL"));
    try {
      await Promise.all([a.ready(), b.ready()]);
      assert.equal(await a.increment("rate:alice", 60_000), 1);
      assert.equal(await b.increment("rate:alice", 60_000), 2);
      assert.equal(await a.increment("rate:bob", 60_000), 1);
      await b.reset("rate:alice");
      assert.equal(await a.increment("rate:alice", 60_000), 1);

      assert.equal(await b.isBlocked("block:alice"), false);
      await a.block("block:alice", 60_000);
      assert.equal(await b.isBlocked("block:alice"), true);
      assert.equal(await b.isBlocked("block:bob"), false);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test("windows and blocks end when their time is up", async () => {
    const [a, b] = twoInstances(requireServiceEnv("LWP_TEST_REDIS_URL"));
    try {
      // Redis's own clock decides expiry, so this waits for real, a few hundred ms (polling: no timing assumption).
      await a.block("blk", 300);
      await waitFor(async () => !(await b.isBlocked("blk")));
      assert.equal(await a.increment("k", 300), 1);
      await waitFor(async () => (await b.increment("k", 300)) === 1, 20_000);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test("while Redis is down calls fail instead of hanging, and work again when it is back", async () => {
    const redis = await startOwnRedis();
    const counters = new RedisCounters({ url: redis.url });
    try {
      await counters.ready();
      await counters.block("blk", 60_000);
      await redis.stop();
      // No offline queue: the send route gets an error to answer with, instead of hanging.
      await assert.rejects(counters.isBlocked("blk"));
      await assert.rejects(counters.increment("k", 60_000));
      await redis.start();
      // A restarted Redis without persistence has forgotten the block: the guard starts over, it does not fail.
      await waitFor(async () => (await counters.increment("k", 60_000).catch(() => 0)) === 1);
      assert.equal(await counters.isBlocked("blk"), false);
    } finally {
      await counters.close();
      await redis.stop();
    }
  });
});
