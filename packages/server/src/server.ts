/**
 * The composition root: builds a running server from a {@link ServerConfig}
 * and the concrete storage, bus and counters.
 *
 * @module
 */
import type { ServerResponse } from "node:http";
import { join } from "node:path";
import Fastify, { type FastifyInstance, LogController } from "fastify";
import { Authenticator } from "./auth/authenticator.js";
import { type Counters, MemoryCounters, type NowMs } from "./auth/counters.js";
import { RedisCounters } from "./auth/redis-counters.js";
import { startCleaner } from "./cleaner.js";
import type { ServerConfig } from "./config/config.js";
import { type AcceptedMessage, allowAllReaders, type ReadAuthorizer, type ServerContext, type ServerExtension } from "./extension.js";
import { InProcessBus, type MessageBus } from "./fanout/bus.js";
import { RedisBus } from "./fanout/redis-bus.js";
import { registerEventsRoute } from "./http/events-route.js";
import { registerOpsRoutes } from "./http/ops-routes.js";
import { registerSendRoute } from "./http/send-route.js";
import { registerStaticFiles } from "./http/static-files.js";
import { ServerMetrics } from "./metrics/metrics.js";
import { GroupCommitter } from "./storage/group-commit.js";
import { openPostgresStorage } from "./storage/postgres/postgres-storage.js";
import { openSqliteStorage, SQLITE_FILE_NAME } from "./storage/sqlite/sqlite-storage.js";
import type { Storage } from "./storage/storage.js";

/** Replaceable parts of a server; each defaults to what the config selects. */
export interface ServerDependencies {
  /** @default PostgreSQL when `config.databaseUrl` is set, else SQLite in `config.dataDir` */
  readonly storage?: Storage;
  /** @default Redis when `config.redisUrl` is set, else an {@link InProcessBus} */
  readonly bus?: MessageBus;
  /** @default Redis when `config.redisUrl` is set, else {@link MemoryCounters} on `now` */
  readonly counters?: Counters;
  /** The clock, unix ms. @default Date.now */
  readonly now?: NowMs;
  /** Extra routes and accepted-message hooks (delivery paths). @default [] */
  readonly extensions?: readonly ServerExtension[];
  /** Who may read a channel. @default everyone */
  readonly authorizeRead?: ReadAuthorizer;
  /** Where JSON log lines go. @default standard output */
  readonly logStream?: NodeJS.WritableStream;
  /** Run the retention cleaner. @default true */
  readonly runCleaner?: boolean;
}

/** A server built by {@link createServer}. */
export interface PushServer {
  /** The Fastify instance, ready; `app.inject()` sends in-memory requests. */
  readonly app: FastifyInstance;
  readonly context: ServerContext;
  readonly metrics: ServerMetrics;
  /** Starts listening on `config.host:config.port`; resolves with the base URL (`http://127.0.0.1:8080`). */
  listen(): Promise<string>;
  /**
   * Graceful stop: refuses new requests, ends SSE streams, finishes
   * in-flight requests and pending commits, then closes extensions, bus,
   * counters and storage. Idempotent.
   */
  close(): Promise<void>;
}

/**
 * Builds a server. Storage defaults to the embedded SQLite database in
 * `config.dataDir` (migrated on open); parts passed in `deps` are owned by
 * the server from then on and closed by {@link PushServer.close}.
 *
 * @example
 * const server = await createServer(resolveConfig({ port: 0, dataDir: "/tmp/lwp" }));
 * const url = await server.listen();
 */
export async function createServer(config: ServerConfig, deps: ServerDependencies = {}): Promise<PushServer> {
  const now = deps.now ?? Date.now;
  const app = Fastify({
    logger: {
      level: config.logLevel,
      ...(deps.logStream === undefined ? {} : { stream: deps.logStream }),
      // Defensive: nothing should log these, but if a request object is ever logged its secrets stay out.
      redact: ["req.headers.authorization", "req.headers.cookie", "password", "*.password", "payload", "*.payload"],
    },
    // One log line per request would cost more than the request itself at thousands per second.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    return503OnClosing: true,
    forceCloseConnections: "idle",
  });
  const log = app.log;

  let storage: Storage;
  if (deps.storage !== undefined) storage = deps.storage;
  else if (config.databaseUrl !== undefined) {
    storage = await openPostgresStorage({
      url: config.databaseUrl,
      onIdleError: (error) => log.warn({ err: error }, "PostgreSQL connection lost; reconnecting on demand"),
    });
  } else storage = openSqliteStorage({ path: join(config.dataDir, SQLITE_FILE_NAME) });

  // With Redis, fan-out and the brute-force and rate-limit counters are shared by every instance.
  const onRedisError = (error: Error): void => log.warn({ err: error }, "Redis or shared-storage error; recovering");
  if (config.redisUrl !== undefined && config.databaseUrl === undefined && deps.storage === undefined) {
    log.warn("redisUrl without databaseUrl: each instance keeps its own SQLite cache, so instances do not share messages");
  }
  const bus =
    deps.bus ??
    (config.redisUrl === undefined ? new InProcessBus() : new RedisBus({ url: config.redisUrl, storage, onError: onRedisError }));
  const counters =
    deps.counters ??
    (config.redisUrl === undefined ? new MemoryCounters({ now }) : new RedisCounters({ url: config.redisUrl, onError: onRedisError }));
  const context: ServerContext = { config, storage, bus, counters, now, log };
  const metrics = new ServerMetrics();
  const extensions = deps.extensions ?? [];
  const streams = new Set<ServerResponse>();
  let closing = false;

  // Only extensions with a hook: without any, an accepted message costs no copy for them.
  const acceptingExtensions = extensions.filter((extension) => extension.onAccepted !== undefined);
  const notifyAccepted = (message: AcceptedMessage): void => {
    for (const extension of acceptingExtensions) {
      if (extension.onAccepted === undefined) continue;
      try {
        const result = extension.onAccepted(message);
        if (result instanceof Promise) {
          result.catch((error: unknown) => log.error({ err: error, extension: extension.name }, "accepted-message hook failed"));
        }
      } catch (error) {
        log.error({ err: error, extension: extension.name }, "accepted-message hook failed");
      }
    }
  };

  const onPublishError = (error: unknown): void => log.error({ err: error }, "publishing to subscribers failed");
  const committer = new GroupCommitter({
    storage,
    maxBatch: config.commitMaxBatch,
    recordStats: config.statsEnabled,
    onCommitted: (batch) => {
      metrics.accepted += batch.length;
      for (const { message, sender } of batch) {
        bus.publish(message).catch(onPublishError);
        if (acceptingExtensions.length > 0) notifyAccepted({ ...message, username: sender.username });
      }
    },
  });

  const authenticator = new Authenticator({
    storage,
    counters,
    now,
    cacheTtlMs: config.authCacheTtlSeconds * 1000,
    maxFailures: config.bruteForceMaxFailures,
    failureWindowMs: config.bruteForceWindowSeconds * 1000,
    blockMs: config.bruteForceBlockSeconds * 1000,
    addressMaxFailures: config.bruteForceAddressMaxFailures,
    onVerification: () => {
      metrics.passwordVerifications++;
    },
    dummyHashCost: config.bcryptCost,
  });
  void authenticator.warmUp();

  const checkMessage = (channel: string, payload: string): { code: number; reason: string } | undefined => {
    for (const extension of extensions) {
      const refusal = extension.checkMessage?.(channel, payload);
      if (refusal !== undefined) return refusal;
    }
    return undefined;
  };
  await registerSendRoute(app, { context, authenticator, committer, metrics, checkMessage });
  registerEventsRoute(app, { context, metrics, authorizeRead: deps.authorizeRead ?? allowAllReaders, streams });
  registerOpsRoutes(app, {
    context,
    metrics,
    committer,
    isClosing: () => closing,
    extraMetrics: () => extensions.map((extension) => extension.renderMetrics?.() ?? "").join(""),
  });
  for (const extension of extensions) await extension.register?.(app, context);
  if (config.webRoot !== undefined) await registerStaticFiles(app, config.webRoot);

  // Open streams would keep the HTTP server from closing; end them first.
  app.addHook("preClose", async () => {
    closing = true;
    for (const res of streams) res.end();
    streams.clear();
  });

  await app.ready();
  const stopCleaner = deps.runCleaner === false ? async () => {} : startCleaner(storage, config, now, log);

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      await app.close();
      await committer.close();
      await stopCleaner();
      for (const extension of extensions) {
        await extension.close?.().catch((error: unknown) => log.error({ err: error, extension: extension.name }, "closing failed"));
      }
      await bus.close();
      await counters.close();
      await storage.close();
      log.info("server stopped");
    })();
    return closed;
  };

  return {
    app,
    context,
    metrics,
    async listen() {
      const address = await app.listen({ host: config.host, port: config.port });
      const port = (app.server.address() as { port: number }).port;
      const host = config.host.includes(":") ? `[${config.host}]` : config.host;
      log.info({ url: `http://${host}:${port}`, address }, "listening");
      return `http://${host === "0.0.0.0" || host === "[::]" ? "127.0.0.1" : host}:${port}`;
    },
    close,
  };
}
