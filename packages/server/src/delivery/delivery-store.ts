/**
 * What delivery keeps durably: browser push subscriptions and the outbox of
 * pending deliveries. `sqlite-delivery-store.ts` implements it on the
 * server's SQLite database; a PostgreSQL port follows the same SQL.
 *
 * The outbox is derived from the message table: each adapter keeps a
 * cursor (the highest message id it has copied into the outbox), so a
 * message is durable once stored and its deliveries cannot be lost between
 * two transactions. One row per (adapter, message, target) means a retry
 * goes only to the targets that failed, never again to one that succeeded.
 *
 * @module
 */

/** The delivery paths. */
export type AdapterName = "fcm" | "webpush";

/** A browser push subscription (`PushSubscription.toJSON()` without `expirationTime`). */
export interface WebPushSubscription {
  /** The push service URL of this browser. */
  readonly endpoint: string;
  /** The browser's P-256 public key, base64url (65 bytes). */
  readonly p256dh: string;
  /** The browser's auth secret, base64url (16 bytes). */
  readonly auth: string;
}

/** The message a job delivers, as stored. */
export interface OutboxMessage {
  readonly id: number;
  readonly channel: string;
  readonly payload: string;
  /** Acceptance time, unix ms. */
  readonly timeMs: number;
}

/** One claimed outbox row. */
export interface OutboxJob {
  readonly adapter: AdapterName;
  readonly messageId: number;
  /** 0 for FCM; the subscription id for Web Push. */
  readonly targetId: number;
  /** Attempts including the one this claim starts. */
  readonly attempts: number;
  /** When the row was written, unix ms. */
  readonly createdAtMs: number;
  /** `undefined` when the message left the cache (retention) before delivery. */
  readonly message: OutboxMessage | undefined;
  /** The subscription of a Web Push job; `undefined` for FCM or when it was removed meanwhile. */
  readonly subscription: WebPushSubscription | undefined;
}

/**
 * Durable state of delivery.
 *
 * Contract: `claimDue` hands a row to one caller only: it pushes the row's
 * `next_attempt_ms` to `nowMs + leaseMs` (and counts the attempt), so a
 * crashed worker's rows come back after the lease and a row is not claimed
 * twice meanwhile. `complete` and `reschedule` take the job as claimed.
 *
 * @example
 * await store.enqueueNewMessages("fcm", now, 500);
 * for (const job of await store.claimDue("fcm", now, 60_000, 16)) { ... await store.complete(job); }
 */
export interface DeliveryStore {
  /**
   * Adds or replaces a subscription: its keys are updated and its channels
   * become exactly `channels`; pending deliveries of channels it no longer
   * has are dropped. Returns the subscription id.
   */
  putWebPushSubscription(subscription: WebPushSubscription, channels: readonly string[], nowMs: number): Promise<number>;
  /**
   * Removes `channels` from a subscription (with their pending
   * deliveries), or the whole subscription (and all its pending
   * deliveries) when `channels` is undefined or it has none left. Returns
   * whether the endpoint was known.
   */
  removeWebPushSubscription(endpoint: string, channels?: readonly string[]): Promise<boolean>;
  /** Removes a subscription by id with its pending deliveries (the push service answered 404/410). */
  deleteWebPushSubscriptionById(id: number): Promise<void>;
  /** The channels of a subscription, sorted; `undefined` when the endpoint is unknown. */
  webPushChannels(endpoint: string): Promise<string[] | undefined>;
  /** Number of stored subscriptions. */
  countWebPushSubscriptions(): Promise<number>;

  /**
   * Starts an adapter's cursor at the newest message when it has none, so
   * that turning an adapter on does not replay the whole cache.
   */
  initCursor(adapter: AdapterName): Promise<void>;
  /**
   * Copies up to `maxMessages` messages after the adapter's cursor into the
   * outbox (FCM: one row each; Web Push: one row per subscription of the
   * message's channel) and advances the cursor, in one transaction.
   * Returns how many messages it covered (0 when caught up).
   */
  enqueueNewMessages(adapter: AdapterName, nowMs: number, maxMessages: number): Promise<number>;
  /** Claims up to `limit` due rows (see the contract above), oldest due first, skipping `exclude`d keys. */
  claimDue(adapter: AdapterName, nowMs: number, leaseMs: number, limit: number, exclude?: ReadonlySet<string>): Promise<OutboxJob[]>;
  /** Removes a delivered (or dropped) row. */
  complete(job: OutboxJob): Promise<void>;
  /** Makes a row due again at `nextAttemptMs`, noting why it failed. */
  reschedule(job: OutboxJob, nextAttemptMs: number, lastError: string): Promise<void>;
  /** The earliest `next_attempt_ms` of the adapter's rows, or `undefined` when empty. */
  nextDueMs(adapter: AdapterName): Promise<number | undefined>;
  /** Number of rows waiting for an adapter. */
  countOutbox(adapter: AdapterName): Promise<number>;

  close(): Promise<void>;
}

/** The key of a job, unique within an adapter's outbox. */
export function jobKey(job: Pick<OutboxJob, "messageId" | "targetId">): string {
  return `${job.messageId}:${job.targetId}`;
}
