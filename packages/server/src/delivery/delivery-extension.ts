/**
 * Delivery to phones (FCM) and browsers (Web Push) as a server extension:
 * wires the store, the adapters, the outbox workers, the routes, the size
 * check and the metrics from the server's configuration.
 *
 * - FCM is on when `fcmServiceAccountFile` is set; then a send that cannot
 *   fit FCM's 4096-byte limit is refused at once with code 4.
 * - Web Push is always on: the VAPID key pair is made on first start
 *   (`<dataDir>/vapid-keys.json`, mode 0600) unless configured (several
 *   instances on one PostgreSQL database must share configured keys).
 * - Delivery is asynchronous, from an outbox derived from the stored
 *   messages (SQLite on the server's file, or PostgreSQL), so a restart
 *   loses nothing; see `outbox-worker.ts`.
 *
 * @module
 */
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { ResultCode } from "lightweightpush/protocol";
import type { ServerContext, ServerExtension } from "../extension.js";
import { openPostgresDeliveryStore } from "../storage/postgres/postgres-delivery-store.js";
import { SQLITE_FILE_NAME } from "../storage/sqlite/sqlite-storage.js";
import { DeliveryMetrics } from "./delivery-metrics.js";
import type { DeliveryStore } from "./delivery-store.js";
import { FcmAccessTokens, readServiceAccount } from "./fcm/fcm-access-token.js";
import { fitsFcm } from "./fcm/fcm-request.js";
import { FcmSender } from "./fcm/fcm-sender.js";
import { OutboxWorker } from "./outbox-worker.js";
import { type DeliveryClock, defaultRetryPolicy, type RetryPolicy, systemClock } from "./retry-policy.js";
import { openSqliteDeliveryStore } from "./sqlite-delivery-store.js";
import { registerWebPushRoutes } from "./web-push/subscription-routes.js";
import { loadOrCreateVapidKeys, VAPID_KEYS_FILE_NAME } from "./web-push/vapid-keys.js";
import { WebPushSender } from "./web-push/web-push-sender.js";

/** VAPID subject used when none is configured (push services want a contact; set `webPushVapidSubject`). */
export const DEFAULT_VAPID_SUBJECT = "mailto:webpush@lightweight-push.invalid";

/** Options of {@link createDeliveryExtension}; everything else comes from the server's configuration. */
export interface DeliveryExtensionOptions {
  /** @default SQLite on the server's database file in `dataDir` */
  readonly store?: DeliveryStore;
  /** Clock and timers of the outbox. @default the system clock */
  readonly clock?: DeliveryClock;
  /** @default {@link defaultRetryPolicy} */
  readonly retry?: Partial<RetryPolicy>;
  /** HTTP client for FCM and push services. @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Attempts in flight per adapter. @default 16 */
  readonly concurrency?: number;
  /** Per-request timeout, ms. @default 30000 */
  readonly requestTimeoutMs?: number;
}

/** The delivery extension, with its counters (for tests and the metrics endpoint). */
export interface DeliveryExtension extends ServerExtension {
  readonly metrics: DeliveryMetrics;
  /** Resolves once both workers are idle (nothing in flight, no pass running). */
  settled(): Promise<void>;
  /** Looks for due work now, as a retry timer would. */
  wake(): void;
}

/**
 * Creates the delivery extension; pass it to `createServer`.
 *
 * @example
 * const server = await createServer(config, { extensions: [createDeliveryExtension()] });
 */
export function createDeliveryExtension(options: DeliveryExtensionOptions = {}): DeliveryExtension {
  const metrics = new DeliveryMetrics();
  const clock = options.clock ?? systemClock;
  const retry: RetryPolicy = { ...defaultRetryPolicy, ...options.retry };
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  const workers: OutboxWorker[] = [];
  let store: DeliveryStore | undefined;
  let fcmEnabled = false;

  const register = async (app: FastifyInstance, context: ServerContext): Promise<void> => {
    const { config, log } = context;
    if (options.store !== undefined) store = options.store;
    else if (config.databaseUrl !== undefined) {
      store = await openPostgresDeliveryStore({
        url: config.databaseUrl,
        onIdleError: (error) => log.warn({ err: error }, "PostgreSQL connection lost; reconnecting on demand"),
      });
    } else store = openSqliteDeliveryStore({ path: join(config.dataDir, SQLITE_FILE_NAME) });
    try {
      await setUp(app, context, store);
    } catch (error) {
      // A bad service-account or key file stops the start; the database must not stay open.
      workers.length = 0;
      fcmEnabled = false;
      await store.close();
      store = undefined;
      throw error;
    }
  };

  const setUp = async (app: FastifyInstance, context: ServerContext, store: DeliveryStore): Promise<void> => {
    const { config, log } = context;
    const workerOptions = {
      store,
      clock,
      log,
      metrics,
      retry,
      concurrency: options.concurrency ?? 16,
      leaseMs: timeoutMs * 2 + 60_000,
      enqueueBatch: 500,
      storeErrorDelayMs: 5000,
      wakeBatchMs: 50,
    };
    const fetchOption = options.fetch === undefined ? {} : { fetch: options.fetch };

    if (config.fcmServiceAccountFile !== undefined) {
      const serviceAccount = readServiceAccount(config.fcmServiceAccountFile);
      const projectId = config.fcmProjectId ?? serviceAccount.projectId;
      const tokens = new FcmAccessTokens({ serviceAccount, tokenUrl: config.fcmTokenUrl, timeoutMs });
      const sender = new FcmSender({ projectId, tokens, baseUrl: config.fcmBaseUrl, timeoutMs, now: clock.now, ...fetchOption });
      await store.initCursor("fcm");
      workers.push(new OutboxWorker({ ...workerOptions, adapter: sender }));
      fcmEnabled = true;
      log.info({ projectId }, "FCM delivery on");
    }

    const { keys, created } = loadOrCreateVapidKeys(join(config.dataDir, VAPID_KEYS_FILE_NAME), {
      publicKey: config.webPushVapidPublicKey,
      privateKey: config.webPushVapidPrivateKey,
    });
    if (created) log.info("made a new VAPID key pair for Web Push");
    if (config.databaseUrl !== undefined && config.webPushVapidPublicKey === undefined) {
      log.warn("Web Push with a shared database: configure the same VAPID keys on every instance, or pushes are refused");
    }
    const subject = config.webPushVapidSubject ?? DEFAULT_VAPID_SUBJECT;
    if (config.webPushVapidSubject === undefined) log.info("Web Push: set webPushVapidSubject to a contact address for push services");
    const webPush = new WebPushSender({
      vapidKeys: keys,
      subject,
      ttlSeconds: config.webPushTtlSeconds,
      timeoutMs,
      now: clock.now,
      ...fetchOption,
    });
    await store.initCursor("webpush");
    workers.push(new OutboxWorker({ ...workerOptions, adapter: webPush }));
    registerWebPushRoutes(app, context, { store, vapidKeys: keys, endpointHosts: config.webPushEndpointHosts });

    // Pick up what was pending before a restart.
    for (const worker of workers) worker.wake();
  };

  return {
    name: "delivery",
    metrics,
    register,
    checkMessage(channel, payload) {
      if (!fcmEnabled || fitsFcm(channel, payload)) return undefined;
      metrics.refusedTooBig();
      return { code: ResultCode.GOOGLE_MSG_TOO_LARGE, reason: "the message cannot fit FCM's 4096-byte limit" };
    },
    onAccepted() {
      for (const worker of workers) worker.wake();
    },
    renderMetrics: () => metrics.render(),
    wake() {
      for (const worker of workers) worker.wake();
    },
    async settled() {
      await Promise.all(workers.map((w) => w.settled()));
    },
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      await store?.close();
    },
  };
}
