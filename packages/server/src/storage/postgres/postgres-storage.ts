/**
 * The networked storage: PostgreSQL through `pg`, for several server
 * instances sharing accounts and the message cache. Chosen with
 * `--database-url postgres://...`.
 *
 * Durability: every write is one statement or one transaction committed with
 * the server's default `synchronous_commit`, so a resolved
 * {@link PostgresStorage.insertMessages} is on disk. While the database is
 * unreachable every method rejects (the send route answers `DATABASE_ERROR`,
 * which senders retry); the pool opens fresh connections once it is back.
 *
 * @module
 */
import type pg from "pg";
import {
  type Account,
  AccountExistsError,
  type MessageQuery,
  type NewAccount,
  type NewMessage,
  type SendStat,
  type Storage,
  type StoredMessage,
} from "../storage.js";
import { migratePostgres } from "./migrate.js";
import { createPostgresPool, type PostgresPoolOptions } from "./pool.js";

/** Settings of {@link openPostgresStorage}. */
export type PostgresStorageOptions = PostgresPoolOptions;

interface AccountRow {
  username: string;
  password_hash: string;
  active: boolean;
  acl: number[];
  created_at_ms: string;
}

interface MessageRow {
  id: string;
  channel: string;
  payload: string;
  time_ms: string;
}

const ACCOUNT_COLUMNS = "username, password_hash, active, acl, created_at_ms";

/**
 * Opens the PostgreSQL storage: connects, creates the schema when asked and
 * applies pending migrations (safe when several instances start together).
 * Rejects when the database cannot be reached, so a misconfigured instance
 * stops at start rather than answering every send with an error.
 *
 * @example
 * const storage = await openPostgresStorage({ url: "postgres://lwp@127.0.0.1/lwp" });
 */
export async function openPostgresStorage(options: PostgresStorageOptions): Promise<PostgresStorage> {
  const { pool, schema } = createPostgresPool(options);
  try {
    const client = await pool.connect();
    try {
      await migratePostgres(client, schema);
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end().catch(() => {});
    throw error;
  }
  return new PostgresStorage(pool);
}

/**
 * {@link Storage} on PostgreSQL. Message ids come from a counter row updated
 * in the inserting statement (see migration 1), so they increase in commit
 * order across all instances; inserts are thereby serialised, which is why
 * the server commits sends in batches.
 */
export class PostgresStorage implements Storage {
  readonly #pool: pg.Pool;
  readonly #accountReads = new Map<string, Promise<Account | undefined>>();
  #closed: Promise<void> | undefined;

  /** Wraps a pool whose connections already see the migrated schema; prefer {@link openPostgresStorage}. */
  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  getAccount(username: string): Promise<Account | undefined> {
    // PostgreSQL text cannot hold NUL, so no such account can exist (and asking would be an error, not "unknown").
    if (username.includes("\0")) return Promise.resolve(undefined);
    // Every send reads its account. Concurrent reads of one account share one query: a busy sender's
    // burst costs one round trip, and the answer is as fresh as if the requests had arrived in another order.
    let pending = this.#accountReads.get(username);
    if (pending === undefined) {
      pending = this.#pool
        .query<AccountRow>({
          name: "lwp-get-account",
          text: `SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE username = $1`,
          values: [username],
        })
        .then(({ rows }) => (rows[0] === undefined ? undefined : toAccount(rows[0])))
        .finally(() => this.#accountReads.delete(username));
      this.#accountReads.set(username, pending);
    }
    return pending;
  }

  async addAccount(account: NewAccount): Promise<void> {
    const acl = [...new Set(account.acl ?? [])].sort((a, b) => a - b);
    const result = await this.#pool.query(
      `INSERT INTO accounts (username, password_hash, active, acl, created_at_ms) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (username) DO NOTHING`,
      [account.username, account.passwordHash, account.active !== false, acl, account.createdAtMs],
    );
    if (result.rowCount === 0) throw new AccountExistsError(account.username);
  }

  async listAccounts(): Promise<Account[]> {
    const { rows } = await this.#pool.query<AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM accounts ORDER BY username COLLATE "C"`);
    return rows.map(toAccount);
  }

  async setAccountActive(username: string, active: boolean): Promise<boolean> {
    const result = await this.#pool.query("UPDATE accounts SET active = $2 WHERE username = $1", [username, active]);
    return result.rowCount !== null && result.rowCount > 0;
  }

  async setPasswordHash(username: string, passwordHash: string): Promise<boolean> {
    const result = await this.#pool.query("UPDATE accounts SET password_hash = $2 WHERE username = $1", [username, passwordHash]);
    return result.rowCount !== null && result.rowCount > 0;
  }

  async grantAcl(username: string, acl: number): Promise<boolean> {
    const result = await this.#pool.query(
      `UPDATE accounts SET acl = ARRAY(SELECT DISTINCT a FROM unnest(array_append(acl, $2::integer)) AS a ORDER BY a)
       WHERE username = $1`,
      [username, acl],
    );
    return result.rowCount !== null && result.rowCount > 0;
  }

  async revokeAcl(username: string, acl: number): Promise<boolean> {
    const result = await this.#pool.query("UPDATE accounts SET acl = array_remove(acl, $2::integer) WHERE username = $1", [username, acl]);
    return result.rowCount !== null && result.rowCount > 0;
  }

  async insertMessages(messages: readonly NewMessage[], sendStats: readonly SendStat[] = []): Promise<StoredMessage[]> {
    if (messages.length === 0 && sendStats.length === 0) return [];
    // One statement is one transaction and one round trip: the counter update
    // (which holds the row lock until commit), the messages and the statistics.
    // The price of the order is that inserts do not overlap (bench/postgres-id-order-bench.mjs on the
    // 2-core test machine: 400-2,000 commits/s, an unordered sequence 2,200-10,000); group commit makes
    // that 10,000-30,000 messages/s with batches of 16.
    const { rows } = await this.#pool.query<{ last_id: string }>({
      name: "lwp-insert-messages",
      text: `WITH counter AS (
               UPDATE message_counter SET last_id = last_id + $1 WHERE $1 > 0 RETURNING last_id
             ), inserted AS (
               INSERT INTO messages (id, channel, payload, time_ms)
               SELECT counter.last_id - $1 + m.ord, m.channel, m.payload, m.time_ms
                 FROM counter, unnest($2::text[], $3::text[], $4::bigint[]) WITH ORDINALITY AS m (channel, payload, time_ms, ord)
             ), stats AS (
               INSERT INTO send_stats (username, address, channel, time_ms)
               SELECT * FROM unnest($5::text[], $6::text[], $7::text[], $8::bigint[])
             )
             SELECT last_id FROM counter`,
      values: [
        messages.length,
        messages.map((m) => m.channel),
        messages.map((m) => m.payload),
        messages.map((m) => m.timeMs),
        sendStats.map((s) => s.username),
        sendStats.map((s) => s.address),
        sendStats.map((s) => s.channel),
        sendStats.map((s) => s.timeMs),
      ],
    });
    if (messages.length === 0) return [];
    const lastId = Number(rows[0]?.last_id);
    const firstId = lastId - messages.length + 1;
    return messages.map((m, i) => ({ id: firstId + i, channel: m.channel, payload: m.payload, timeMs: m.timeMs }));
  }

  async listMessages(channel: string, query: MessageQuery): Promise<StoredMessage[]> {
    const limit = Math.max(0, Math.trunc(query.limit));
    let result: pg.QueryResult<MessageRow>;
    if (query.afterId !== undefined) {
      result = await this.#pool.query<MessageRow>({
        name: "lwp-list-after-id",
        text: "SELECT id, channel, payload, time_ms FROM messages WHERE channel = $1 AND id > $2 ORDER BY id LIMIT $3",
        values: [channel, query.afterId, limit],
      });
    } else if (query.sinceMs !== undefined) {
      result = await this.#pool.query<MessageRow>({
        name: "lwp-list-since",
        text: "SELECT id, channel, payload, time_ms FROM messages WHERE channel = $1 AND time_ms >= $2 ORDER BY id LIMIT $3",
        values: [channel, query.sinceMs, limit],
      });
    } else {
      result = await this.#pool.query<MessageRow>({
        name: "lwp-list-all",
        text: "SELECT id, channel, payload, time_ms FROM messages WHERE channel = $1 ORDER BY id LIMIT $2",
        values: [channel, limit],
      });
    }
    return result.rows.map((r) => ({ id: Number(r.id), channel: r.channel, payload: r.payload, timeMs: Number(r.time_ms) }));
  }

  async lastMessageId(): Promise<number> {
    // The counter only shows committed updates, and every id up to it is committed.
    const { rows } = await this.#pool.query<{ last_id: string }>({
      name: "lwp-last-message-id",
      text: "SELECT last_id FROM message_counter",
    });
    return Number(rows[0]?.last_id ?? 0);
  }

  async countMessages(): Promise<number> {
    const { rows } = await this.#pool.query<{ n: string }>("SELECT count(*) AS n FROM messages");
    return Number(rows[0]?.n ?? 0);
  }

  async deleteMessagesBefore(timeMs: number): Promise<number> {
    const result = await this.#pool.query("DELETE FROM messages WHERE time_ms < $1", [timeMs]);
    return result.rowCount ?? 0;
  }

  async listSendStats(sinceMs: number): Promise<SendStat[]> {
    const { rows } = await this.#pool.query<{ username: string; address: string; channel: string; time_ms: string }>(
      "SELECT username, address, channel, time_ms FROM send_stats WHERE time_ms >= $1 ORDER BY id",
      [sinceMs],
    );
    return rows.map((r) => ({ username: r.username, address: r.address, channel: r.channel, timeMs: Number(r.time_ms) }));
  }

  async deleteSendStatsBefore(timeMs: number): Promise<number> {
    const result = await this.#pool.query("DELETE FROM send_stats WHERE time_ms < $1", [timeMs]);
    return result.rowCount ?? 0;
  }

  async close(): Promise<void> {
    // pool.end() waits for queries in flight; a second call would throw, so share the first.
    this.#closed ??= this.#pool.end();
    await this.#closed;
  }
}

function toAccount(row: AccountRow): Account {
  return {
    username: row.username,
    passwordHash: row.password_hash,
    active: row.active,
    acl: row.acl,
    createdAtMs: Number(row.created_at_ms),
  };
}
