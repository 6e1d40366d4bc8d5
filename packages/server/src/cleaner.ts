/**
 * The periodic cleaner: removes messages past their retention and, when
 * statistics are kept, statistics past theirs.
 *
 * @module
 */
import type { FastifyBaseLogger } from "fastify";
import type { NowMs } from "./auth/counters.js";
import type { ServerConfig } from "./config/config.js";
import type { Storage } from "./storage/storage.js";

/** One cleaning pass; returns what was removed. */
export async function cleanOnce(storage: Storage, config: ServerConfig, now: NowMs): Promise<{ messages: number; sendStats: number }> {
  const t = now();
  const messages = await storage.deleteMessagesBefore(t - config.messageRetentionSeconds * 1000);
  const sendStats = await storage.deleteSendStatsBefore(t - config.statsRetentionSeconds * 1000);
  return { messages, sendStats };
}

/** Runs {@link cleanOnce} now and every `cleanupIntervalSeconds`; returns a stop function. */
export function startCleaner(storage: Storage, config: ServerConfig, now: NowMs, log: FastifyBaseLogger): () => Promise<void> {
  let running: Promise<void> | undefined;
  const run = (): void => {
    if (running !== undefined) return;
    running = cleanOnce(storage, config, now)
      .then((removed) => {
        if (removed.messages > 0 || removed.sendStats > 0) log.info(removed, "removed expired rows");
      })
      .catch((error: unknown) => log.error({ err: error }, "cleaning failed"))
      .finally(() => {
        running = undefined;
      });
  };
  run();
  const timer = setInterval(run, config.cleanupIntervalSeconds * 1000);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
