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
  /** Also write a send-statistics row per message, in the same transaction. */
  readonly recordStats: boolean;
  /** Called with each committed batch, in commit order, before the senders are answered. Must not throw. */
  readonly onCommitted?: (batch: readonly CommittedMessage[]) => void;
}

/** Thrown by {@link GroupCommitter.submit} after {@link GroupCommitter.close}. */
export class CommitterClosedError extends Error {
  override readonly name = "CommitterClosedError";
}

/**
 * Batches message inserts into shared transactions.
 *
 * @example
 * const committer = new GroupCommitter({ storage, maxBatch: 1000, recordStats: false });
 * const stored = await committer.submit({ channel, payload, timeMs: Date.now() }, { username, address });
 */
export class GroupCommitter {
  readonly #options: GroupCommitterOptions;
  #queue: Pending[] = [];
  #scheduled = false;
  #running: Promise<void> | undefined;
  #closed = false;

  constructor(options: GroupCommitterOptions) {
    this.#options = options;
  }

  /** Queues a message; resolves once it is durable, rejects if its transaction failed. */
  submit(message: NewMessage, sender: Sender): Promise<StoredMessage> {
    if (this.#closed) return Promise.reject(new CommitterClosedError("the server is shutting down"));
    return new Promise((resolve, reject) => {
      this.#queue.push({ message, sender, resolve, reject });
      this.#schedule();
    });
  }

  /** Messages waiting for a transaction. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Refuses new messages and waits until everything queued is committed (or failed). */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#queue.length > 0 || this.#running !== undefined || this.#scheduled) {
      if (this.#running !== undefined) await this.#running;
      else if (this.#queue.length > 0) await this.#flush();
      else await new Promise((r) => setImmediate(r));
    }
  }

  #schedule(): void {
    if (this.#scheduled || this.#running !== undefined) return;
    this.#scheduled = true;
    // setImmediate runs after the current I/O phase, so every request parsed in this turn joins the batch.
    setImmediate(() => {
      this.#scheduled = false;
      void this.#flush();
    });
  }

  #flush(): Promise<void> {
    if (this.#running !== undefined) return this.#running;
    const run = this.#commitAll().finally(() => {
      this.#running = undefined;
    });
    this.#running = run;
    return run;
  }

  async #commitAll(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#options.maxBatch);
      const stats: SendStat[] = this.#options.recordStats
        ? batch.map((p) => ({ ...p.sender, channel: p.message.channel, timeMs: p.message.timeMs }))
        : [];
      let stored: StoredMessage[];
      try {
        stored = await this.#options.storage.insertMessages(
          batch.map((p) => p.message),
          stats,
        );
      } catch (error) {
        for (const p of batch) p.reject(error);
        continue;
      }
      if (stored.length !== batch.length) {
        const error = new Error("storage returned another number of messages than it was given");
        for (const p of batch) p.reject(error);
        continue;
      }
      const committed = batch.map((p, i) => ({ message: stored[i] as StoredMessage, sender: p.sender }));
      this.#options.onCommitted?.(committed);
      for (const [i, p] of batch.entries()) p.resolve(stored[i] as StoredMessage);
      // Let the replies go out and new requests arrive before the next transaction.
      if (this.#queue.length > 0) await new Promise((r) => setImmediate(r));
    }
  }
}
