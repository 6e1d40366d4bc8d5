/**
 * {@link DeliveryStore} on the server's SQLite database (tables of migration
 * 2). It uses its own connection to the same file: better-sqlite3 runs each
 * transaction synchronously, so two connections in one process never wait
 * on each other, and the message table it reads stays owned by the storage.
 *
 * @module
 */
import Database from "better-sqlite3";
import { type AdapterName, type DeliveryStore, jobKey, type OutboxJob, type WebPushSubscription } from "./delivery-store.js";

/** Settings of {@link openSqliteDeliveryStore}. */
export interface SqliteDeliveryStoreOptions {
  /** The server's database file, already migrated by the storage. */
  readonly path: string;
  /** How long to wait for the write lock held by another connection (the storage's writer thread, the CLI), ms. @default 5000 */
  readonly busyTimeoutMs?: number;
}

interface OutboxRow {
  message_id: number;
  target_id: number;
  attempts: number;
  next_attempt_ms: number;
  created_at_ms: number;
  channel: string | null;
  payload: string | null;
  time_ms: number | null;
  endpoint: string | null;
  p256dh: string | null;
  auth: string | null;
}

/**
 * Opens the delivery store on an existing, migrated database file.
 *
 * @example
 * const store = openSqliteDeliveryStore({ path: join(config.dataDir, SQLITE_FILE_NAME) });
 */
export function openSqliteDeliveryStore(options: SqliteDeliveryStoreOptions): SqliteDeliveryStore {
  const db = new Database(options.path, { fileMustExist: true });
  try {
    // 0: waits for the write lock happen on timers in #whenFree, never blocking the event loop.
    db.pragma("busy_timeout = 0");
    db.pragma("journal_mode = WAL");
    // NORMAL: no fsync per transaction, so delivery bookkeeping does not slow the send path. A power
    // loss can only roll back recent outbox changes together with the cursor, which repeats a delivery
    // at worst and never loses one: the messages themselves are committed with FULL by the storage.
    db.pragma("synchronous = NORMAL");
    // Checkpoints copy the WAL into the database and fsync it: leave them to the storage's writer
    // thread, whose commits fill the WAL anyway, instead of stalling the event loop here.
    db.pragma("wal_autocheckpoint = 0");
    db.pragma("foreign_keys = ON");
    const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'delivery_outbox'").get();
    if (table === undefined) throw new Error(`database ${options.path} lacks the delivery tables (migration 2 not applied)`);
  } catch (error) {
    db.close();
    throw error;
  }
  return new SqliteDeliveryStore(db, options.busyTimeoutMs ?? 5000);
}

/** {@link DeliveryStore} on SQLite; see {@link openSqliteDeliveryStore}. */
export class SqliteDeliveryStore implements DeliveryStore {
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();
  readonly #busyTimeoutMs: number;
  #closed = false;

  /** `db` must have `busy_timeout = 0` (see {@link SqliteDeliveryStore.#whenFree}). */
  constructor(db: Database.Database, busyTimeoutMs = 5000) {
    this.#db = db;
    this.#busyTimeoutMs = busyTimeoutMs;
  }

  /**
   * Runs `operation`, waiting without blocking while another connection
   * holds the write lock. The storage commits (and fsyncs) messages on its
   * own thread; a synchronous busy wait here would stall the event loop for
   * each of those commits, so the connection's busy timeout is 0 and this
   * retries on timers instead, for up to the configured busy timeout.
   */
  async #whenFree<T>(operation: () => T): Promise<T> {
    let waitedMs = 0;
    for (;;) {
      try {
        return operation();
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (typeof code !== "string" || !code.startsWith("SQLITE_BUSY") || waitedMs >= this.#busyTimeoutMs) throw error;
      }
      const delayMs = Math.min(20, 1 + Math.floor(waitedMs / 10));
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      waitedMs += delayMs;
    }
  }

  /** A prepared statement, compiled once: delivery runs the same few statements per message. */
  #sql(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  async putWebPushSubscription(subscription: WebPushSubscription, channels: readonly string[], nowMs: number): Promise<number> {
    return this.#whenFree(() => {
      const put = this.#db.transaction(() => {
        const existing = this.#sql("SELECT id FROM webpush_subscriptions WHERE endpoint = ?").get(subscription.endpoint) as
          | { id: number }
          | undefined;
        let id: number;
        if (existing === undefined) {
          id = Number(
            this.#sql(
              "INSERT INTO webpush_subscriptions (endpoint, p256dh, auth, created_at_ms, updated_at_ms) VALUES (?, ?, ?, ?, ?)",
            ).run(subscription.endpoint, subscription.p256dh, subscription.auth, nowMs, nowMs).lastInsertRowid,
          );
        } else {
          id = existing.id;
          this.#sql("UPDATE webpush_subscriptions SET p256dh = ?, auth = ?, updated_at_ms = ? WHERE id = ?").run(
            subscription.p256dh,
            subscription.auth,
            nowMs,
            id,
          );
          this.#sql("DELETE FROM webpush_subscription_channels WHERE subscription_id = ?").run(id);
        }
        const add = this.#sql("INSERT INTO webpush_subscription_channels (subscription_id, channel) VALUES (?, ?) ON CONFLICT DO NOTHING");
        for (const channel of channels) add.run(id, channel);
        // Pending pushes of channels the browser left are not sent any more.
        this.#sql(
          `DELETE FROM delivery_outbox
            WHERE adapter = 'webpush' AND target_id = ?
              AND NOT EXISTS (SELECT 1 FROM messages m
                                JOIN webpush_subscription_channels sc ON sc.channel = m.channel
                               WHERE m.id = delivery_outbox.message_id AND sc.subscription_id = ?)`,
        ).run(id, id);
        return id;
      });
      return put.immediate();
    });
  }

  async removeWebPushSubscription(endpoint: string, channels?: readonly string[]): Promise<boolean> {
    return this.#whenFree(() => {
      const remove = this.#db.transaction(() => {
        const row = this.#sql("SELECT id FROM webpush_subscriptions WHERE endpoint = ?").get(endpoint) as { id: number } | undefined;
        if (row === undefined) return false;
        if (channels !== undefined) {
          const drop = this.#sql("DELETE FROM webpush_subscription_channels WHERE subscription_id = ? AND channel = ?");
          const dropPending = this.#sql(
            `DELETE FROM delivery_outbox
              WHERE adapter = 'webpush' AND target_id = ? AND message_id IN (SELECT id FROM messages WHERE channel = ?)`,
          );
          for (const channel of channels) {
            drop.run(row.id, channel);
            dropPending.run(row.id, channel);
          }
          const left = this.#sql("SELECT 1 FROM webpush_subscription_channels WHERE subscription_id = ? LIMIT 1").get(row.id);
          if (left !== undefined) return true;
        }
        this.#deleteSubscription(row.id);
        return true;
      });
      return remove.immediate();
    });
  }

  async deleteWebPushSubscriptionById(id: number): Promise<void> {
    return this.#whenFree(() => {
      this.#db.transaction(() => this.#deleteSubscription(id)).immediate();
    });
  }

  #deleteSubscription(id: number): void {
    this.#sql("DELETE FROM delivery_outbox WHERE adapter = 'webpush' AND target_id = ?").run(id);
    this.#sql("DELETE FROM webpush_subscription_channels WHERE subscription_id = ?").run(id);
    this.#sql("DELETE FROM webpush_subscriptions WHERE id = ?").run(id);
  }

  async webPushChannels(endpoint: string): Promise<string[] | undefined> {
    return this.#whenFree(() => {
      const row = this.#sql("SELECT id FROM webpush_subscriptions WHERE endpoint = ?").get(endpoint) as { id: number } | undefined;
      if (row === undefined) return undefined;
      const rows = this.#sql("SELECT channel FROM webpush_subscription_channels WHERE subscription_id = ? ORDER BY channel").all(
        row.id,
      ) as {
        channel: string;
      }[];
      return rows.map((r) => r.channel);
    });
  }

  async countWebPushSubscriptions(): Promise<number> {
    return this.#whenFree(() => {
      return (this.#sql("SELECT count(*) AS n FROM webpush_subscriptions").get() as { n: number }).n;
    });
  }

  async initCursor(adapter: AdapterName): Promise<void> {
    return this.#whenFree(() => {
      this.#sql(
        `INSERT INTO delivery_cursors (adapter, last_message_id)
           SELECT ?, COALESCE(MAX(id), 0) FROM messages WHERE true
           ON CONFLICT (adapter) DO NOTHING`,
      ).run(adapter);
    });
  }

  async enqueueNewMessages(adapter: AdapterName, nowMs: number, maxMessages: number): Promise<number> {
    return this.#whenFree(() => {
      // Most calls find nothing new: answer those with two indexed reads, without taking the write lock.
      const known = this.#sql("SELECT last_message_id FROM delivery_cursors WHERE adapter = ?").get(adapter) as
        | { last_message_id: number }
        | undefined;
      if (known !== undefined && this.#sql("SELECT 1 FROM messages WHERE id > ? LIMIT 1").get(known.last_message_id) === undefined) {
        return 0;
      }
      const enqueue = this.#db.transaction(() => {
        const cursor = this.#sql("SELECT last_message_id FROM delivery_cursors WHERE adapter = ?").get(adapter) as
          | { last_message_id: number }
          | undefined;
        if (cursor === undefined) throw new Error(`delivery cursor of ${adapter} not initialised`);
        const from = cursor.last_message_id;
        const range = this.#sql(
          "SELECT MAX(id) AS upto, count(*) AS n FROM (SELECT id FROM messages WHERE id > ? ORDER BY id LIMIT ?)",
        ).get(from, maxMessages) as { upto: number | null; n: number };
        if (range.upto === null) return 0;
        if (adapter === "fcm") {
          this.#sql(
            `INSERT INTO delivery_outbox (adapter, message_id, target_id, attempts, next_attempt_ms, created_at_ms)
             SELECT 'fcm', id, 0, 0, ?, ? FROM messages WHERE id > ? AND id <= ?
             ON CONFLICT DO NOTHING`,
          ).run(nowMs, nowMs, from, range.upto);
        } else {
          this.#sql(
            `INSERT INTO delivery_outbox (adapter, message_id, target_id, attempts, next_attempt_ms, created_at_ms)
             SELECT 'webpush', m.id, sc.subscription_id, 0, ?, ?
               FROM messages m JOIN webpush_subscription_channels sc ON sc.channel = m.channel
              WHERE m.id > ? AND m.id <= ?
             ON CONFLICT DO NOTHING`,
          ).run(nowMs, nowMs, from, range.upto);
        }
        this.#sql("UPDATE delivery_cursors SET last_message_id = ? WHERE adapter = ?").run(range.upto, adapter);
        return range.n;
      });
      return enqueue.immediate();
    });
  }

  async claimDue(adapter: AdapterName, nowMs: number, leaseMs: number, limit: number, exclude?: ReadonlySet<string>): Promise<OutboxJob[]> {
    return this.#whenFree(() => {
      const extra = exclude?.size ?? 0;
      // Nothing due: answered by one indexed read, without the write lock.
      if (this.#sql("SELECT 1 FROM delivery_outbox WHERE adapter = ? AND next_attempt_ms <= ? LIMIT 1").get(adapter, nowMs) === undefined) {
        return [];
      }
      const claim = this.#db.transaction(() => {
        const rows = this.#sql(
          `SELECT o.message_id, o.target_id, o.attempts, o.next_attempt_ms, o.created_at_ms,
                    m.channel, m.payload, m.time_ms, s.endpoint, s.p256dh, s.auth
               FROM delivery_outbox o
               LEFT JOIN messages m ON m.id = o.message_id
               LEFT JOIN webpush_subscriptions s ON o.adapter = 'webpush' AND s.id = o.target_id
              WHERE o.adapter = ? AND o.next_attempt_ms <= ?
              ORDER BY o.next_attempt_ms, o.message_id, o.target_id
              LIMIT ?`,
        ).all(adapter, nowMs, limit + extra) as OutboxRow[];
        const take = this.#sql(
          `UPDATE delivery_outbox SET next_attempt_ms = ?, attempts = attempts + 1
            WHERE adapter = ? AND message_id = ? AND target_id = ? AND next_attempt_ms = ?`,
        );
        const jobs: OutboxJob[] = [];
        for (const row of rows) {
          if (jobs.length >= limit) break;
          if (exclude?.has(jobKey({ messageId: row.message_id, targetId: row.target_id }))) continue;
          if (take.run(nowMs + leaseMs, adapter, row.message_id, row.target_id, row.next_attempt_ms).changes !== 1) continue;
          jobs.push({
            adapter,
            messageId: row.message_id,
            targetId: row.target_id,
            attempts: row.attempts + 1,
            createdAtMs: row.created_at_ms,
            message:
              row.channel === null || row.payload === null || row.time_ms === null
                ? undefined
                : { id: row.message_id, channel: row.channel, payload: row.payload, timeMs: row.time_ms },
            subscription:
              row.endpoint === null || row.p256dh === null || row.auth === null
                ? undefined
                : { endpoint: row.endpoint, p256dh: row.p256dh, auth: row.auth },
          });
        }
        return jobs;
      });
      return claim.immediate();
    });
  }

  async complete(job: OutboxJob): Promise<void> {
    return this.#whenFree(() => {
      this.#sql("DELETE FROM delivery_outbox WHERE adapter = ? AND message_id = ? AND target_id = ?").run(
        job.adapter,
        job.messageId,
        job.targetId,
      );
    });
  }

  async reschedule(job: OutboxJob, nextAttemptMs: number, lastError: string): Promise<void> {
    return this.#whenFree(() => {
      this.#sql(
        "UPDATE delivery_outbox SET next_attempt_ms = ?, last_error = ? WHERE adapter = ? AND message_id = ? AND target_id = ?",
      ).run(nextAttemptMs, lastError.slice(0, 500), job.adapter, job.messageId, job.targetId);
    });
  }

  async nextDueMs(adapter: AdapterName): Promise<number | undefined> {
    return this.#whenFree(() => {
      const row = this.#sql("SELECT MIN(next_attempt_ms) AS due FROM delivery_outbox WHERE adapter = ?").get(adapter) as {
        due: number | null;
      };
      return row.due ?? undefined;
    });
  }

  async countOutbox(adapter: AdapterName): Promise<number> {
    return this.#whenFree(() => {
      return (this.#sql("SELECT count(*) AS n FROM delivery_outbox WHERE adapter = ?").get(adapter) as { n: number }).n;
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }
}
