/**
 * Group commit: inserts from concurrent requests are queued and written in
 * one transaction per event-loop turn, and each request is answered after
 * the transaction that holds its message is durable. One fsync then serves
 * many messages, which is what makes thousands of durable sends per second
 * possible.
 *
 * @module
 */
import type { NewMessage, SendStat, Storage, StoredMessage } from "./storage.js";

/** Who sent a message. */
export interface Sender {
  readonly username: string;
  /** Client address as the server saw it. */
  readonly address: string;
}

/** A message of a committed batch, with its sender. */
export interface CommittedMessage {
  readonly message: StoredMessage;
  readonly sender: Sender;
}

interface Pending {
  readonly message: NewMessage;
  readonly sender: Sender;
  readonly resolve: (stored: StoredMessage) => void;
  readonly reject: (error: unknown) => void;
}

/** Settings of a {@link GroupCommitter}. */
export interface GroupCommitterOptions {
  readonly storage: Storage;
  /** Most messages per transaction. */
  readonly maxBatch: number;
  /**
   * How many `insertMessages` calls may be outstanding at once. Keep 1
   * unless the storage commits calls strictly in call order (the SQLite
   * writer thread does, and merges queued calls into one transaction).
   * Measured on two cores, 1 was as fast as deeper pipelines, so the server
   * uses 1.
   * @default 1
   */
  readonly maxInFlight?: number;
  /** Also write a send-statistics row per message, in the same transaction. */
  readonly recordStats: boolean;
  /** Called with each committed batch, in commit order, before the senders are answered. Must not throw. */
  readonly onCommitted?: (batch: readonly CommittedMessage[]) => void;
}

/** Thrown by {@link GroupCommitter.submit} after {@link GroupCommitter.close}. */
export class CommitterClosedError extends Error {
  override readonly name = "CommitterClosedError";
}

type Outcome = { readonly ok: true; readonly stored: StoredMessage[] } | { readonly ok: false; readonly error: unknown };

/**
 * Batches message inserts into shared transactions.
 *
 * @example
 * const committer = new GroupCommitter({ storage, maxBatch: 1000, recordStats: false });
 * const stored = await committer.submit({ channel, payload, timeMs: Date.now() }, { username, address });
 */
export class GroupCommitter {
  readonly #options: GroupCommitterOptions;
  readonly #maxInFlight: number;
  #queue: Pending[] = [];
  #scheduled = false;
  #inFlight = 0;
  /** Completion handling of batches, chained so that senders are answered in commit order. */
  #tail: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(options: GroupCommitterOptions) {
    this.#options = options;
    this.#maxInFlight = Math.max(1, options.maxInFlight ?? 1);
  }

  /** Queues a message; resolves once it is durable, rejects if its transaction failed. */
  submit(message: NewMessage, sender: Sender): Promise<StoredMessage> {
    if (this.#closed) return Promise.reject(new CommitterClosedError("the server is shutting down"));
    return new Promise((resolve, reject) => {
      this.#queue.push({ message, sender, resolve, reject });
      this.#schedule();
    });
  }

  /** Messages waiting for their transaction to start. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Refuses new messages and waits until everything queued is committed (or failed). */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#queue.length > 0 || this.#inFlight > 0 || this.#scheduled) {
      if (this.#inFlight > 0) await this.#tail;
      else if (this.#queue.length > 0 && !this.#scheduled) this.#startBatch();
      else await new Promise((r) => setImmediate(r));
    }
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlight >= this.#maxInFlight || this.#queue.length === 0) return;
    this.#scheduled = true;
    // setImmediate runs after the current I/O phase, so every request parsed in this turn joins the batch.
    setImmediate(() => {
      this.#scheduled = false;
      this.#startBatch();
    });
  }

  #startBatch(): void {
    if (this.#queue.length === 0 || this.#inFlight >= this.#maxInFlight) return;
    const batch = this.#queue.splice(0, this.#options.maxBatch);
    const stats: SendStat[] = this.#options.recordStats
      ? batch.map((p) => ({ ...p.sender, channel: p.message.channel, timeMs: p.message.timeMs }))
      : [];
    this.#inFlight++;
    let insert: Promise<StoredMessage[]>;
    try {
      insert = this.#options.storage.insertMessages(
        batch.map((p) => p.message),
        stats,
      );
    } catch (error) {
      insert = Promise.reject(error);
    }
    const outcome: Promise<Outcome> = insert.then(
      (stored) => ({ ok: true, stored }),
      (error: unknown) => ({ ok: false, error }),
    );
    this.#tail = this.#tail.then(async () => {
      try {
        this.#finish(batch, await outcome);
      } catch {
        // Only onCommitted can throw here, and its senders are answered regardless (finally in #finish);
        // swallowing keeps the chain alive for the batches behind this one.
      } finally {
        this.#inFlight--;
        this.#schedule();
      }
    });
    // More queued than one batch takes: start the next one too, if the pipeline allows.
    this.#schedule();
  }

  #finish(batch: readonly Pending[], outcome: Outcome): void {
    if (!outcome.ok) {
      for (const p of batch) p.reject(outcome.error);
      return;
    }
    const stored = outcome.stored;
    if (stored.length !== batch.length) {
      const error = new Error("storage returned another number of messages than it was given");
      for (const p of batch) p.reject(error);
      return;
    }
    const committed = batch.map((p, i) => ({ message: stored[i] as StoredMessage, sender: p.sender }));
    try {
      this.#options.onCommitted?.(committed);
    } finally {
      for (const [i, p] of batch.entries()) p.resolve(stored[i] as StoredMessage);
    }
  }
}
