/**
 * The storage interface of the push server: accounts, the encrypted message
 * cache and optional send statistics. The server talks only to this
 * interface; `sqlite/` (embedded, the default) and `postgres/` implement it.
 *
 * Every method is async so that a networked database can implement it. All
 * times are unix milliseconds as integers.
 *
 * @module
 */

/** ACL entry that allows sending to the service-wide notification channel (as in AlertR). */
export const NOTIFICATION_ACL = 0;

/** An account as stored. */
export interface Account {
  /** The account name (an e-mail address), unique, compared exactly. */
  readonly username: string;
  /** bcrypt hash (`$2b$`, `$2y$` or `$2a$`). */
  readonly passwordHash: string;
  /** Disabled accounts cannot send. */
  readonly active: boolean;
  /** ACL entries, ascending; {@link NOTIFICATION_ACL} allows the notification channel. */
  readonly acl: readonly number[];
  /** When the account was created, unix ms. */
  readonly createdAtMs: number;
}

/** A new account. */
export interface NewAccount {
  readonly username: string;
  readonly passwordHash: string;
  /** @default true */
  readonly active?: boolean;
  /** @default [] */
  readonly acl?: readonly number[];
  readonly createdAtMs: number;
}

/** A message to store: the prefixed wire channel and the opaque sealed data as sent. */
export interface NewMessage {
  readonly channel: string;
  /** The sealed envelope exactly as sent; never interpreted by the server. */
  readonly payload: string;
  /** Server time of acceptance, unix ms. */
  readonly timeMs: number;
}

/** A stored message. */
export interface StoredMessage extends NewMessage {
  /** Positive integer, increasing in commit order within one storage. */
  readonly id: number;
}

/** One send-statistics row, as the original service records it. */
export interface SendStat {
  readonly username: string;
  /** Client address as the server saw it. */
  readonly address: string;
  readonly channel: string;
  readonly timeMs: number;
}

/** Which cached messages of a channel to list. At most one of `afterId` / `sinceMs` is used; neither means all. */
export interface MessageQuery {
  /** Only messages with an id greater than this. */
  readonly afterId?: number;
  /** Only messages accepted at or after this time, unix ms. */
  readonly sinceMs?: number;
  /** At most this many messages (the oldest first). */
  readonly limit: number;
}

/** Thrown by {@link Storage.addAccount} when the username is taken. */
export class AccountExistsError extends Error {
  override readonly name = "AccountExistsError";
  readonly code = "ACCOUNT_EXISTS";
  constructor(readonly username: string) {
    super(`account ${username} already exists`);
  }
}

/**
 * Persistent state of the server.
 *
 * Contract for implementations:
 * - {@link Storage.insertMessages} resolves only after the batch is durable
 *   (committed and flushed) and is all-or-nothing.
 * - Message ids are positive integers that increase in commit order, so a
 *   reader that has seen id N and later lists `afterId: N` misses nothing
 *   committed after it. (A PostgreSQL sequence alone does not give this;
 *   serialise inserts, e.g. with a transaction-level advisory lock.)
 * - Account methods that target a missing account return `false`.
 *
 * @example
 * const storage = await openSqliteStorage({ path: "/var/lib/lwp/push.db" });
 * const [stored] = await storage.insertMessages([{ channel, payload, timeMs: Date.now() }]);
 */
export interface Storage {
  /** The account as currently stored, or `undefined`. On the hot path: keep it one indexed read (or a check that the remembered row is current). */
  getAccount(username: string): Promise<Account | undefined>;
  /** Adds an account; throws {@link AccountExistsError} when the name is taken. */
  addAccount(account: NewAccount): Promise<void>;
  /** All accounts, ordered by username. */
  listAccounts(): Promise<Account[]>;
  /** Enables or disables an account. */
  setAccountActive(username: string, active: boolean): Promise<boolean>;
  /** Replaces the password hash. */
  setPasswordHash(username: string, passwordHash: string): Promise<boolean>;
  /** Adds an ACL entry (idempotent). */
  grantAcl(username: string, acl: number): Promise<boolean>;
  /** Removes an ACL entry (idempotent). */
  revokeAcl(username: string, acl: number): Promise<boolean>;

  /**
   * Stores messages (and, when given, their send statistics) in one
   * durable transaction; resolves with the stored messages in input order.
   */
  insertMessages(messages: readonly NewMessage[], sendStats?: readonly SendStat[]): Promise<StoredMessage[]>;
  /** Cached messages of one channel, ascending by id. */
  listMessages(channel: string, query: MessageQuery): Promise<StoredMessage[]>;
  /** The highest message id committed so far (0 when none). */
  lastMessageId(): Promise<number>;
  /** How many messages are cached (all channels). */
  countMessages(): Promise<number>;
  /** Deletes messages accepted before `timeMs`; returns how many. */
  deleteMessagesBefore(timeMs: number): Promise<number>;

  /** Send statistics recorded at or after `sinceMs`, oldest first. */
  listSendStats(sinceMs: number): Promise<SendStat[]>;
  /** Deletes statistics recorded before `timeMs`; returns how many. */
  deleteSendStatsBefore(timeMs: number): Promise<number>;

  /** Releases the database; pending writes are finished first. */
  close(): Promise<void>;
}
