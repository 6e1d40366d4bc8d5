/**
 * The embedded storage: SQLite through better-sqlite3, in WAL mode with
 * `synchronous=FULL`, so a committed transaction survives a power loss.
 *
 * @module
 */
import { closeSync, fstatSync, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { Worker } from "node:worker_threads";
import Database from "better-sqlite3";
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
import { migrations } from "./migrations/index.js";
import type { WriterData, WriterReply, WriterRequest } from "./writer-worker.js";

/** File name of the database inside the data directory. */
export const SQLITE_FILE_NAME = "lightweight-push.db";

/**
 * Suffix of the account-change marker beside the database file: every
 * account change, by any process, appends a byte to it after its commit,
 * so a storage that remembers account rows sees a change with one `fstat`.
 */
export const ACCOUNT_MARKER_SUFFIX = "-accounts-changed";

/** Settings of {@link openSqliteStorage}. */
export interface SqliteStorageOptions {
  /** Database file; created with its directory when missing. */
  readonly path: string;
  /**
   * How long to wait for a lock held by another process (e.g. the `user`
   * command while the server runs), ms.
   * @default 5000
   */
  readonly busyTimeoutMs?: number;
  /**
   * Commit message batches on a separate thread with its own connection,
   * so that the fsync of a commit does not block the event loop. Started
   * on the first insert.
   * @default true
   */
  readonly writerThread?: boolean;
  /**
   * Longest time an account row read from the database is reused, ms; 0
   * reads it on every call. Changes made through any storage (the server's
   * or the `user` command's) are seen at once whatever this is, through the
   * account-change marker; the bound covers edits made with plain SQL.
   * @default 1000
   */
  readonly accountCacheMs?: number;
}

interface AccountRow {
  username: string;
  password_hash: string;
  active: number;
  created_at_ms: number;
  acl: string | null;
}

interface MessageRow {
  id: number;
  channel: string;
  payload: string;
  time_ms: number;
}

/**
 * Opens (creating and migrating as needed) the SQLite storage.
 *
 * @example
 * const storage = openSqliteStorage({ path: join(dataDir, SQLITE_FILE_NAME) });
 */
export function openSqliteStorage(options: SqliteStorageOptions): SqliteStorage {
  // Private: the database holds password hashes.
  mkdirSync(dirname(options.path), { recursive: true, mode: 0o700 });
  const db = new Database(options.path);
  try {
    db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
    db.pragma("journal_mode = WAL");
    // FULL: the WAL is fsynced at every commit, so an acknowledged message survives a crash or power loss.
    db.pragma("synchronous = FULL");
    db.pragma("foreign_keys = ON");
    migrate(db);
  } catch (error) {
    db.close();
    throw error;
  }
  return new SqliteStorage(
    db,
    { path: options.path, busyTimeoutMs: options.busyTimeoutMs ?? 5000, writerThread: options.writerThread ?? true },
    openAccountMarker(`${options.path}${ACCOUNT_MARKER_SUFFIX}`),
    options.accountCacheMs ?? 1000,
  );
}

/** Ends in `.ts` when running from source (tests under tsx), else `.js`. */
const OWN_EXTENSION = import.meta.url.endsWith(".ts") ? ".ts" : ".js";

/** The writer thread of one storage and its outstanding requests. */
class WriterThread {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (ids: number[]) => void; reject: (error: Error) => void }>();
  readonly #inflight = new Set<Promise<number[]>>();
  #seq = 0;
  #failure: Error | undefined;

  constructor(data: WriterData) {
    const script = new URL(`./writer-worker${OWN_EXTENSION}`, import.meta.url);
    this.#worker =
      OWN_EXTENSION === ".js"
        ? new Worker(script, { workerData: data })
        : // From source (tests run under tsx), the thread must load TypeScript too.
          new Worker(
            `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(script.href)}); });`,
            { eval: true, workerData: data },
          );
    this.#worker.on("message", (reply: WriterReply) => {
      const pending = this.#pending.get(reply.seq);
      if (pending === undefined) return;
      this.#pending.delete(reply.seq);
      if ("error" in reply) pending.reject(new Error(`storing messages failed: ${reply.error}`));
      else pending.resolve(reply.ids);
    });
    const fail = (error: Error): void => {
      this.#failure = error;
      for (const p of this.#pending.values()) p.reject(error);
      this.#pending.clear();
    };
    this.#worker.on("error", fail);
    this.#worker.on("exit", () => fail(new Error("the database writer thread stopped")));
  }

  /** Whether the thread stopped; it accepts no more inserts then. */
  get failed(): boolean {
    return this.#failure !== undefined;
  }

  insert(messages: readonly NewMessage[], stats: readonly SendStat[]): Promise<number[]> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const seq = ++this.#seq;
    const done = new Promise<number[]>((resolve, reject) => {
      this.#pending.set(seq, { resolve, reject });
      const request: WriterRequest = { kind: "insert", seq, messages, stats };
      this.#worker.postMessage(request);
    });
    this.#inflight.add(done);
    const forget = (): void => {
      this.#inflight.delete(done);
    };
    done.then(forget, forget);
    return done;
  }

  /** Waits for outstanding inserts, then stops the thread (which closes its connection). */
  async close(): Promise<void> {
    await Promise.allSettled(this.#inflight);
    if (this.#failure !== undefined) return;
    const exited = new Promise<void>((r) => this.#worker.once("exit", () => r()));
    const request: WriterRequest = { kind: "close" };
    this.#worker.postMessage(request);
    await exited;
  }
}

/** The account-change marker, opened for appending (created when missing); `undefined` when it cannot be. */
function openAccountMarker(path: string): number | undefined {
  try {
    return openSync(path, "a", 0o600);
  } catch {
    // Read-only directory, for instance: account rows are then read on every call.
    return undefined;
  }
}

function migrate(db: Database.Database): void {
  db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_ms INTEGER NOT NULL)");
  // IMMEDIATE: a server and a `user` command starting together must not both apply a migration.
  const apply = db.transaction(() => {
    const applied = new Set((db.prepare("SELECT version FROM schema_migrations").all() as { version: number }[]).map((r) => r.version));
    for (const migration of migrations) {
      if (applied.has(migration.version)) continue;
      db.exec(migration.sql);
      db.prepare("INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (?, ?, ?)").run(
        migration.version,
        migration.name,
        Date.now(),
      );
    }
  });
  apply.immediate();
}

/** {@link Storage} on SQLite. Calls run synchronously underneath; the promises resolve after the work is done. */
export class SqliteStorage implements Storage {
  readonly #db: Database.Database;
  readonly #getAccount: Database.Statement<[string], AccountRow>;
  readonly #insertMessage: Database.Statement<[string, string, number]>;
  readonly #insertStat: Database.Statement<[string, string, string, number]>;
  readonly #insertBatch: Database.Transaction<(messages: readonly NewMessage[], stats: readonly SendStat[]) => StoredMessage[]>;
  readonly #writer: WriterData & { readonly writerThread: boolean };
  #writerThread: WriterThread | undefined;
  #closed = false;
  /** Descriptor of the account-change marker; `undefined` turns the account cache off. */
  readonly #marker: number | undefined;
  readonly #accountCacheMs: number;
  /** Account rows read since the marker last changed, with when they were read. */
  readonly #accounts = new Map<string, { readonly account: Account; readonly readAtMs: number }>();
  #markerSize = -1;

  constructor(db: Database.Database, writer: WriterData & { readonly writerThread: boolean }, accountMarker?: number, accountCacheMs = 0) {
    this.#db = db;
    this.#writer = writer;
    this.#marker = accountMarker;
    this.#accountCacheMs = accountCacheMs;
    this.#getAccount = db.prepare(
      `SELECT username, password_hash, active, created_at_ms,
              (SELECT group_concat(acl) FROM acl WHERE acl.username = accounts.username) AS acl
         FROM accounts WHERE username = ?`,
    );
    this.#insertMessage = db.prepare("INSERT INTO messages (channel, payload, time_ms) VALUES (?, ?, ?)");
    this.#insertStat = db.prepare("INSERT INTO send_stats (username, address, channel, time_ms) VALUES (?, ?, ?, ?)");
    this.#insertBatch = db.transaction((messages: readonly NewMessage[], stats: readonly SendStat[]) => {
      const stored: StoredMessage[] = [];
      for (const m of messages) {
        const id = Number(this.#insertMessage.run(m.channel, m.payload, m.timeMs).lastInsertRowid);
        stored.push({ id, channel: m.channel, payload: m.payload, timeMs: m.timeMs });
      }
      for (const s of stats) this.#insertStat.run(s.username, s.address, s.channel, s.timeMs);
      return stored;
    });
  }

  async getAccount(username: string): Promise<Account | undefined> {
    return this.getAccountSync(username);
  }

  /**
   * Synchronous {@link SqliteStorage.getAccount}. A row read less than
   * `accountCacheMs` ago is reused while the account-change marker keeps
   * its size: one `fstat` instead of a read transaction, on the path of
   * every send.
   */
  getAccountSync(username: string): Account | undefined {
    const now = Date.now();
    if (this.#accountsUnchanged()) {
      const cached = this.#accounts.get(username);
      if (cached !== undefined && now - cached.readAtMs < this.#accountCacheMs && now >= cached.readAtMs) return cached.account;
    }
    const row = this.#getAccount.get(username);
    if (row === undefined) {
      this.#accounts.delete(username);
      return undefined;
    }
    const account = toAccount(row);
    if (this.#marker !== undefined && this.#accountCacheMs > 0) {
      // Bounded: the oldest rows go first.
      if (this.#accounts.size >= MAX_CACHED_ACCOUNTS) this.#accounts.delete(this.#accounts.keys().next().value as string);
      this.#accounts.set(username, { account, readAtMs: now });
    }
    return account;
  }

  /** Whether no account changed since the cached rows were read; forgets them if one did. */
  #accountsUnchanged(): boolean {
    if (this.#marker === undefined || this.#accountCacheMs <= 0) return false;
    let size: number;
    try {
      size = fstatSync(this.#marker).size;
    } catch {
      size = -1;
    }
    if (size === this.#markerSize && size >= 0) return true;
    this.#accounts.clear();
    this.#markerSize = size;
    return false;
  }

  /** Tells every storage on this database, in any process, that accounts changed (after the commit). */
  #accountsChanged(): void {
    this.#accounts.clear();
    if (this.#marker === undefined) return;
    try {
      writeSync(this.#marker, MARKER_BYTE);
    } catch {
      // The change is committed; other servers' cached rows then age out within accountCacheMs.
    }
  }

  async addAccount(account: NewAccount): Promise<void> {
    const add = this.#db.transaction(() => {
      const exists = this.#db.prepare("SELECT 1 FROM accounts WHERE username = ?").get(account.username);
      if (exists !== undefined) throw new AccountExistsError(account.username);
      this.#db
        .prepare("INSERT INTO accounts (username, password_hash, active, created_at_ms) VALUES (?, ?, ?, ?)")
        .run(account.username, account.passwordHash, account.active === false ? 0 : 1, account.createdAtMs);
      const grant = this.#db.prepare("INSERT INTO acl (username, acl) VALUES (?, ?)");
      for (const acl of new Set(account.acl ?? [])) grant.run(account.username, acl);
    });
    add.immediate();
    this.#accountsChanged();
  }

  async listAccounts(): Promise<Account[]> {
    const rows = this.#db
      .prepare(
        `SELECT username, password_hash, active, created_at_ms,
                (SELECT group_concat(acl) FROM acl WHERE acl.username = accounts.username) AS acl
           FROM accounts ORDER BY username`,
      )
      .all() as AccountRow[];
    return rows.map(toAccount);
  }

  async setAccountActive(username: string, active: boolean): Promise<boolean> {
    const changed = this.#db.prepare("UPDATE accounts SET active = ? WHERE username = ?").run(active ? 1 : 0, username).changes > 0;
    this.#accountsChanged();
    return changed;
  }

  async setPasswordHash(username: string, passwordHash: string): Promise<boolean> {
    const changed = this.#db.prepare("UPDATE accounts SET password_hash = ? WHERE username = ?").run(passwordHash, username).changes > 0;
    this.#accountsChanged();
    return changed;
  }

  async grantAcl(username: string, acl: number): Promise<boolean> {
    const grant = this.#db.transaction(() => {
      if (this.#db.prepare("SELECT 1 FROM accounts WHERE username = ?").get(username) === undefined) return false;
      this.#db.prepare("INSERT INTO acl (username, acl) VALUES (?, ?) ON CONFLICT DO NOTHING").run(username, acl);
      return true;
    });
    const granted = grant.immediate();
    this.#accountsChanged();
    return granted;
  }

  async revokeAcl(username: string, acl: number): Promise<boolean> {
    const revoke = this.#db.transaction(() => {
      if (this.#db.prepare("SELECT 1 FROM accounts WHERE username = ?").get(username) === undefined) return false;
      this.#db.prepare("DELETE FROM acl WHERE username = ? AND acl = ?").run(username, acl);
      return true;
    });
    const revoked = revoke.immediate();
    this.#accountsChanged();
    return revoked;
  }

  async insertMessages(messages: readonly NewMessage[], sendStats: readonly SendStat[] = []): Promise<StoredMessage[]> {
    if (this.#closed) throw new Error("the storage is closed");
    if (!this.#writer.writerThread) return this.insertMessagesSync(messages, sendStats);
    // A writer thread that died (its pending inserts were refused) is replaced on the next insert.
    if (this.#writerThread?.failed !== false) this.#writerThread = new WriterThread(this.#writer);
    const ids = await this.#writerThread.insert(messages, sendStats);
    return messages.map((m, i) => ({ id: ids[i] as number, channel: m.channel, payload: m.payload, timeMs: m.timeMs }));
  }

  /** Synchronous {@link SqliteStorage.insertMessages}: returns once the transaction is committed and fsynced. */
  insertMessagesSync(messages: readonly NewMessage[], sendStats: readonly SendStat[] = []): StoredMessage[] {
    return this.#insertBatch.immediate(messages, sendStats);
  }

  async listMessages(channel: string, query: MessageQuery): Promise<StoredMessage[]> {
    const limit = Math.max(0, Math.trunc(query.limit));
    let rows: MessageRow[];
    if (query.afterId !== undefined) {
      rows = this.#db
        .prepare("SELECT id, channel, payload, time_ms FROM messages WHERE channel = ? AND id > ? ORDER BY id LIMIT ?")
        .all(channel, query.afterId, limit) as MessageRow[];
    } else if (query.sinceMs !== undefined) {
      rows = this.#db
        .prepare("SELECT id, channel, payload, time_ms FROM messages WHERE channel = ? AND time_ms >= ? ORDER BY id LIMIT ?")
        .all(channel, query.sinceMs, limit) as MessageRow[];
    } else {
      rows = this.#db
        .prepare("SELECT id, channel, payload, time_ms FROM messages WHERE channel = ? ORDER BY id LIMIT ?")
        .all(channel, limit) as MessageRow[];
    }
    return rows.map((r) => ({ id: r.id, channel: r.channel, payload: r.payload, timeMs: r.time_ms }));
  }

  async lastMessageId(): Promise<number> {
    const row = this.#db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'messages'").get() as { seq: number } | undefined;
    return row?.seq ?? 0;
  }

  async countMessages(): Promise<number> {
    return (this.#db.prepare("SELECT count(*) AS n FROM messages").get() as { n: number }).n;
  }

  async deleteMessagesBefore(timeMs: number): Promise<number> {
    return this.#db.prepare("DELETE FROM messages WHERE time_ms < ?").run(timeMs).changes;
  }

  async listSendStats(sinceMs: number): Promise<SendStat[]> {
    const rows = this.#db
      .prepare("SELECT username, address, channel, time_ms FROM send_stats WHERE time_ms >= ? ORDER BY rowid")
      .all(sinceMs) as { username: string; address: string; channel: string; time_ms: number }[];
    return rows.map((r) => ({ username: r.username, address: r.address, channel: r.channel, timeMs: r.time_ms }));
  }

  async deleteSendStatsBefore(timeMs: number): Promise<number> {
    return this.#db.prepare("DELETE FROM send_stats WHERE time_ms < ?").run(timeMs).changes;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#writerThread?.close();
    this.#db.close();
    if (this.#marker !== undefined) closeSync(this.#marker);
  }
}

/** Most account rows a storage remembers. */
const MAX_CACHED_ACCOUNTS = 10_000;
const MARKER_BYTE = new Uint8Array([0x0a]);

function toAccount(row: AccountRow): Account {
  const acl =
    row.acl === null || row.acl === ""
      ? []
      : row.acl
          .split(",")
          .map(Number)
          .sort((a, b) => a - b);
  return {
    username: row.username,
    passwordHash: row.password_hash,
    active: row.active !== 0,
    acl,
    createdAtMs: row.created_at_ms,
  };
}
