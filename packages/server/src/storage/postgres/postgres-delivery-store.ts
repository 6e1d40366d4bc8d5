/**
 * {@link DeliveryStore} on PostgreSQL (tables of PostgreSQL migration 2), the
 * port of `src/delivery/sqlite-delivery-store.ts` for several instances on
 * one database:
 *
 * - copying new messages into the outbox locks the adapter's cursor row, so
 *   two instances never copy the same range twice; message ids increase in
 *   commit order, so a cursor never skips a message committed late;
 * - claiming uses `FOR UPDATE SKIP LOCKED`, so instances claiming at once
 *   take different rows instead of waiting on each other.
 *
 * @module
 */
import type pg from "pg";
import { type AdapterName, type DeliveryStore, jobKey, type OutboxJob, type WebPushSubscription } from "../../delivery/delivery-store.js";
import { createPostgresPool, type PostgresPoolOptions } from "./pool.js";

/** Settings of {@link openPostgresDeliveryStore}: the storage's URL; a small pool is enough. */
export type PostgresDeliveryStoreOptions = PostgresPoolOptions;

interface OutboxRow {
  message_id: string;
  target_id: string;
  attempts: number;
  created_at_ms: string;
  channel: string | null;
  payload: string | null;
  time_ms: string | null;
  endpoint: string | null;
  p256dh: string | null;
  auth: string | null;
}

/**
 * Opens the delivery store on a database the storage has already migrated
 * (`openPostgresStorage` runs migration 2).
 *
 * @example
 * const store = await openPostgresDeliveryStore({ url: config.databaseUrl });
 */
export async function openPostgresDeliveryStore(options: PostgresDeliveryStoreOptions): Promise<PostgresDeliveryStore> {
  const { pool } = createPostgresPool({ maxConnections: 4, ...options });
  try {
    const { rows } = await pool.query<{ t: string | null }>("SELECT to_regclass('delivery_outbox')::text AS t");
    if (rows[0]?.t === null || rows[0]?.t === undefined)
      throw new Error("the database lacks the delivery tables (PostgreSQL migration 2 not applied)");
  } catch (error) {
    await pool.end().catch(() => {});
    throw error;
  }
  return new PostgresDeliveryStore(pool);
}

/** {@link DeliveryStore} on PostgreSQL; see {@link openPostgresDeliveryStore}. */
export class PostgresDeliveryStore implements DeliveryStore {
  readonly #pool: pg.Pool;
  #closed: Promise<void> | undefined;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async #transaction<T>(body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    try {
      await client.query("BEGIN");
      const result = await body(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  async putWebPushSubscription(subscription: WebPushSubscription, channels: readonly string[], nowMs: number): Promise<number> {
    return this.#transaction(async (client) => {
      const { rows } = await client.query<{ id: string }>(
        `INSERT INTO webpush_subscriptions (endpoint, p256dh, auth, created_at_ms, updated_at_ms) VALUES ($1, $2, $3, $4, $4)
         ON CONFLICT (endpoint) DO UPDATE SET p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth, updated_at_ms = EXCLUDED.updated_at_ms
         RETURNING id`,
        [subscription.endpoint, subscription.p256dh, subscription.auth, nowMs],
      );
      const id = Number(rows[0]!.id);
      await client.query("DELETE FROM webpush_subscription_channels WHERE subscription_id = $1", [id]);
      await client.query(
        `INSERT INTO webpush_subscription_channels (subscription_id, channel)
         SELECT $1, c FROM unnest($2::text[]) AS c ON CONFLICT DO NOTHING`,
        [id, [...channels]],
      );
      // Pending pushes of channels the browser left are not sent any more.
      await client.query(
        `DELETE FROM delivery_outbox o
          WHERE o.adapter = 'webpush' AND o.target_id = $1
            AND NOT EXISTS (SELECT 1 FROM messages m
                              JOIN webpush_subscription_channels sc ON sc.channel = m.channel
                             WHERE m.id = o.message_id AND sc.subscription_id = $1)`,
        [id],
      );
      return id;
    });
  }

  async removeWebPushSubscription(endpoint: string, channels?: readonly string[]): Promise<boolean> {
    return this.#transaction(async (client) => {
      const { rows } = await client.query<{ id: string }>("SELECT id FROM webpush_subscriptions WHERE endpoint = $1 FOR UPDATE", [
        endpoint,
      ]);
      if (rows[0] === undefined) return false;
      const id = Number(rows[0].id);
      if (channels !== undefined) {
        await client.query("DELETE FROM webpush_subscription_channels WHERE subscription_id = $1 AND channel = ANY($2::text[])", [
          id,
          [...channels],
        ]);
        await client.query(
          `DELETE FROM delivery_outbox
            WHERE adapter = 'webpush' AND target_id = $1 AND message_id IN (SELECT id FROM messages WHERE channel = ANY($2::text[]))`,
          [id, [...channels]],
        );
        const left = await client.query("SELECT 1 FROM webpush_subscription_channels WHERE subscription_id = $1 LIMIT 1", [id]);
        if (left.rows.length > 0) return true;
      }
      await deleteSubscription(client, id);
      return true;
    });
  }

  async deleteWebPushSubscriptionById(id: number): Promise<void> {
    await this.#transaction((client) => deleteSubscription(client, id));
  }

  async webPushChannels(endpoint: string): Promise<string[] | undefined> {
    const { rows } = await this.#pool.query<{ id: string; channel: string | null }>(
      `SELECT s.id, c.channel FROM webpush_subscriptions s
         LEFT JOIN webpush_subscription_channels c ON c.subscription_id = s.id
        WHERE s.endpoint = $1 ORDER BY c.channel COLLATE "C"`,
      [endpoint],
    );
    if (rows.length === 0) return undefined;
    return rows.flatMap((r) => (r.channel === null ? [] : [r.channel]));
  }

  async countWebPushSubscriptions(): Promise<number> {
    const { rows } = await this.#pool.query<{ n: string }>("SELECT count(*) AS n FROM webpush_subscriptions");
    return Number(rows[0]?.n ?? 0);
  }

  async initCursor(adapter: AdapterName): Promise<void> {
    // The counter, not max(id): ids never go back even when the cleaner has emptied the cache.
    await this.#pool.query(
      `INSERT INTO delivery_cursors (adapter, last_message_id)
       SELECT $1, last_id FROM message_counter
       ON CONFLICT (adapter) DO NOTHING`,
      [adapter],
    );
  }

  async enqueueNewMessages(adapter: AdapterName, nowMs: number, maxMessages: number): Promise<number> {
    return this.#transaction(async (client) => {
      const cursor = await client.query<{ last_message_id: string }>(
        "SELECT last_message_id FROM delivery_cursors WHERE adapter = $1 FOR UPDATE",
        [adapter],
      );
      if (cursor.rows[0] === undefined) throw new Error(`delivery cursor of ${adapter} not initialised`);
      const from = Number(cursor.rows[0].last_message_id);
      const range = await client.query<{ upto: string | null; n: string }>(
        "SELECT max(id) AS upto, count(*) AS n FROM (SELECT id FROM messages WHERE id > $1 ORDER BY id LIMIT $2) AS next",
        [from, maxMessages],
      );
      const upto = range.rows[0]?.upto ?? null;
      if (upto === null) return 0;
      if (adapter === "fcm") {
        await client.query(
          `INSERT INTO delivery_outbox (adapter, message_id, target_id, attempts, next_attempt_ms, created_at_ms)
           SELECT 'fcm', id, 0, 0, $1, $1 FROM messages WHERE id > $2 AND id <= $3
           ON CONFLICT DO NOTHING`,
          [nowMs, from, upto],
        );
      } else {
        await client.query(
          `INSERT INTO delivery_outbox (adapter, message_id, target_id, attempts, next_attempt_ms, created_at_ms)
           SELECT 'webpush', m.id, sc.subscription_id, 0, $1, $1
             FROM messages m JOIN webpush_subscription_channels sc ON sc.channel = m.channel
            WHERE m.id > $2 AND m.id <= $3
           ON CONFLICT DO NOTHING`,
          [nowMs, from, upto],
        );
      }
      await client.query("UPDATE delivery_cursors SET last_message_id = $2 WHERE adapter = $1", [adapter, upto]);
      return Number(range.rows[0]?.n ?? 0);
    });
  }

  async claimDue(adapter: AdapterName, nowMs: number, leaseMs: number, limit: number, exclude?: ReadonlySet<string>): Promise<OutboxJob[]> {
    const { rows } = await this.#pool.query<OutboxRow>(
      `WITH due AS (
         SELECT adapter, message_id, target_id FROM delivery_outbox
          WHERE adapter = $1 AND next_attempt_ms <= $2 AND NOT ((message_id::text || ':' || target_id::text) = ANY($5::text[]))
          ORDER BY next_attempt_ms, message_id, target_id
          LIMIT $4
          FOR UPDATE SKIP LOCKED
       )
       UPDATE delivery_outbox o SET next_attempt_ms = $2 + $3, attempts = o.attempts + 1
         FROM due
         LEFT JOIN messages m ON m.id = due.message_id
         LEFT JOIN webpush_subscriptions s ON due.adapter = 'webpush' AND s.id = due.target_id
        WHERE o.adapter = due.adapter AND o.message_id = due.message_id AND o.target_id = due.target_id
       RETURNING o.message_id, o.target_id, o.attempts, o.created_at_ms,
                 m.channel, m.payload, m.time_ms, s.endpoint, s.p256dh, s.auth`,
      [adapter, nowMs, leaseMs, limit, [...(exclude ?? [])]],
    );
    const jobs = rows.map(
      (row): OutboxJob => ({
        adapter,
        messageId: Number(row.message_id),
        targetId: Number(row.target_id),
        attempts: row.attempts,
        createdAtMs: Number(row.created_at_ms),
        message:
          row.channel === null || row.payload === null || row.time_ms === null
            ? undefined
            : { id: Number(row.message_id), channel: row.channel, payload: row.payload, timeMs: Number(row.time_ms) },
        subscription:
          row.endpoint === null || row.p256dh === null || row.auth === null
            ? undefined
            : { endpoint: row.endpoint, p256dh: row.p256dh, auth: row.auth },
      }),
    );
    // RETURNING has no order; hand out the oldest first, as the SQLite store does.
    return jobs.sort((x, y) => x.messageId - y.messageId || x.targetId - y.targetId || jobKey(x).localeCompare(jobKey(y)));
  }

  async complete(job: OutboxJob): Promise<void> {
    await this.#pool.query("DELETE FROM delivery_outbox WHERE adapter = $1 AND message_id = $2 AND target_id = $3", [
      job.adapter,
      job.messageId,
      job.targetId,
    ]);
  }

  async reschedule(job: OutboxJob, nextAttemptMs: number, lastError: string): Promise<void> {
    await this.#pool.query(
      "UPDATE delivery_outbox SET next_attempt_ms = $4, last_error = $5 WHERE adapter = $1 AND message_id = $2 AND target_id = $3",
      [job.adapter, job.messageId, job.targetId, nextAttemptMs, lastError.slice(0, 500)],
    );
  }

  async nextDueMs(adapter: AdapterName): Promise<number | undefined> {
    const { rows } = await this.#pool.query<{ due: string | null }>(
      "SELECT min(next_attempt_ms) AS due FROM delivery_outbox WHERE adapter = $1",
      [adapter],
    );
    const due = rows[0]?.due ?? null;
    return due === null ? undefined : Number(due);
  }

  async countOutbox(adapter: AdapterName): Promise<number> {
    const { rows } = await this.#pool.query<{ n: string }>("SELECT count(*) AS n FROM delivery_outbox WHERE adapter = $1", [adapter]);
    return Number(rows[0]?.n ?? 0);
  }

  async close(): Promise<void> {
    this.#closed ??= this.#pool.end();
    await this.#closed;
  }
}

async function deleteSubscription(client: pg.PoolClient, id: number): Promise<void> {
  await client.query("DELETE FROM delivery_outbox WHERE adapter = 'webpush' AND target_id = $1", [id]);
  await client.query("DELETE FROM webpush_subscription_channels WHERE subscription_id = $1", [id]);
  await client.query("DELETE FROM webpush_subscriptions WHERE id = $1", [id]);
}
