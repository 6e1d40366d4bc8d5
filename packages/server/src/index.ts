/**
 * `lightweight-push-server`: the self-hosted Lightweight Push server. This
 * module is the programmatic entry: build a server in-process with
 * {@link createServer}, plug in storage, fan-out, counters and extensions.
 *
 * @example
 * import { createServer, resolveConfig } from "lightweight-push-server";
 * const server = await createServer(resolveConfig({ dataDir: "./data", port: 8080 }));
 * await server.listen();
 *
 * @module
 */
export { Authenticator, type AuthFailure, type AuthResult } from "./auth/authenticator.js";
export { type Counters, MemoryCounters, type NowMs } from "./auth/counters.js";
export { hashPassword, isBcryptHash, verifyPassword } from "./auth/password.js";
export { RedisCounters, type RedisCountersOptions } from "./auth/redis-counters.js";
export { cleanOnce } from "./cleaner.js";
export * from "./config/config.js";
export { defaultWebRoot, loadConfig, redactConfig, resolveConfig } from "./config/load.js";
export { createDeliveryExtension, type DeliveryExtension, type DeliveryExtensionOptions } from "./delivery/index.js";
export * from "./extension.js";
export * from "./fanout/bus.js";
export { RedisBus, type RedisBusOptions } from "./fanout/redis-bus.js";
export { formatMessageEvent, parseStreamStart, SINCE_TIME_THRESHOLD } from "./http/events-route.js";
export { SEND_PATH } from "./http/send-route.js";
export { ServerMetrics } from "./metrics/metrics.js";
export { createServer, type PushServer, type ServerDependencies } from "./server.js";
export { GroupCommitter } from "./storage/group-commit.js";
export { openPostgresDeliveryStore, PostgresDeliveryStore } from "./storage/postgres/postgres-delivery-store.js";
export { openPostgresStorage, PostgresStorage, type PostgresStorageOptions } from "./storage/postgres/postgres-storage.js";
export { openSqliteStorage, SQLITE_FILE_NAME, SqliteStorage } from "./storage/sqlite/sqlite-storage.js";
export * from "./storage/storage.js";
