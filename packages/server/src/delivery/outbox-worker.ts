/**
 * The outbox worker of one adapter: copies new messages into the outbox,
 * claims due rows, hands them to the adapter with bounded concurrency, and
 * records the outcome: delete on success, reschedule with exponential
 * backoff on a retryable failure, drop (logged and counted) otherwise.
 * Everything it needs to continue after a restart is in the store.
 *
 * @module
 */
import { describeResultCode, isRetryable, ResultCode } from "lightweightpush/protocol";
import type { DeliveryAdapter, DeliveryResult } from "./delivery-adapter.js";
import type { DeliveryMetrics } from "./delivery-metrics.js";
import { type DeliveryStore, jobKey, type OutboxJob } from "./delivery-store.js";
import { type DeliveryClock, type RetryPolicy, retryDelayMs } from "./retry-policy.js";

/** The logger methods delivery uses (pino's, as Fastify's logger has them). */
export interface DeliveryLog {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** Settings of an {@link OutboxWorker}. */
export interface OutboxWorkerOptions {
  readonly adapter: DeliveryAdapter;
  readonly store: DeliveryStore;
  readonly clock: DeliveryClock;
  readonly log: DeliveryLog;
  readonly metrics: DeliveryMetrics;
  readonly retry: RetryPolicy;
  /** Attempts in flight at once. */
  readonly concurrency: number;
  /** How long a claimed row stays hidden from other claims; longer than an attempt can take, ms. */
  readonly leaseMs: number;
  /** Messages copied into the outbox per transaction. */
  readonly enqueueBatch: number;
  /** Wait before trying again after the store itself failed, ms. */
  readonly storeErrorDelayMs: number;
  /**
   * Wakes within this real time are served by one pass, so that at
   * thousands of sends per second the outbox costs a few transactions per
   * batch rather than several per message, ms.
   */
  readonly wakeBatchMs: number;
}

/**
 * Runs one adapter's outbox. Call {@link OutboxWorker.wake} when messages
 * were stored; timers on the injected clock wake it for retries.
 */
export class OutboxWorker {
  readonly #o: OutboxWorkerOptions;
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #settledWaiters = new Set<() => void>();
  #pumping = false;
  #again = false;
  #timer: unknown;
  #closed = false;
  #nextCountMs = 0;
  #wakeTimer: NodeJS.Timeout | undefined;

  constructor(options: OutboxWorkerOptions) {
    this.#o = options;
  }

  /** Looks for work now (new messages, due retries). Cheap to call often: calls while busy coalesce. */
  wake(): void {
    this.#wakeAfter(this.#o.wakeBatchMs);
  }

  #wakeAfter(delayMs: number): void {
    if (this.#closed) return;
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    if (this.#wakeTimer !== undefined) {
      if (delayMs > 0) return;
      clearTimeout(this.#wakeTimer);
    }
    this.#wakeTimer = setTimeout(() => {
      this.#wakeTimer = undefined;
      if (this.#pumping) this.#again = true;
      else void this.#pump();
    }, delayMs);
    this.#wakeTimer.unref();
  }

  /** Resolves once no pass is running and no attempt is in flight (for tests and shutdown). */
  async settled(): Promise<void> {
    while (this.#pumping || this.#inFlight.size > 0 || this.#wakeTimer !== undefined) {
      await new Promise<void>((resolve) => this.#settledWaiters.add(resolve));
    }
  }

  /** Stops taking work and waits for attempts in flight; their outcome is recorded. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#wakeTimer);
    this.#wakeTimer = undefined;
    if (this.#timer !== undefined) this.#o.clock.clearTimer(this.#timer);
    this.#timer = undefined;
    await this.settled();
  }

  #notifySettled(): void {
    if (this.#pumping || this.#inFlight.size > 0 || this.#wakeTimer !== undefined) return;
    for (const resolve of [...this.#settledWaiters]) resolve();
    this.#settledWaiters.clear();
  }

  async #pump(): Promise<void> {
    const { store, adapter, clock, concurrency } = this.#o;
    this.#pumping = true;
    let retryAfterStoreErrorMs: number | undefined;
    try {
      do {
        this.#again = false;
        // Copy until caught up (a short batch means it is); each batch is its own short transaction.
        while ((await store.enqueueNewMessages(adapter.name, clock.now(), this.#o.enqueueBatch)) >= this.#o.enqueueBatch) {}
        const free = concurrency - this.#inFlight.size;
        if (free > 0) {
          const jobs = await store.claimDue(adapter.name, clock.now(), this.#o.leaseMs, free, new Set(this.#inFlight.keys()));
          for (const job of jobs) this.#start(job);
          if (jobs.length === free) this.#again = true;
        }
      } while (this.#again && !this.#closed);
      // Counting is a scan of the adapter's rows: at most once a second, not once per message.
      if (clock.now() >= this.#nextCountMs) {
        this.#nextCountMs = clock.now() + 1000;
        this.#o.metrics.setPending(adapter.name, await store.countOutbox(adapter.name));
      }
      await this.#arm();
    } catch (error) {
      if (!this.#closed) {
        this.#o.log.error({ adapter: adapter.name, err: error }, "delivery outbox: store error, will try again");
        retryAfterStoreErrorMs = this.#o.storeErrorDelayMs;
      }
    } finally {
      this.#pumping = false;
    }
    if (retryAfterStoreErrorMs !== undefined) this.#setTimer(retryAfterStoreErrorMs);
    else if (this.#again && !this.#closed) this.#wakeAfter(0);
    this.#notifySettled();
  }

  /** Sets the timer for the earliest due row. */
  async #arm(): Promise<void> {
    const due = await this.#o.store.nextDueMs(this.#o.adapter.name);
    if (due === undefined || this.#closed) {
      if (this.#timer !== undefined) this.#o.clock.clearTimer(this.#timer);
      this.#timer = undefined;
      return;
    }
    this.#setTimer(due - this.#o.clock.now());
  }

  #setTimer(delayMs: number): void {
    if (this.#closed) return;
    if (this.#timer !== undefined) this.#o.clock.clearTimer(this.#timer);
    this.#timer = this.#o.clock.setTimer(
      () => {
        this.#timer = undefined;
        this.wake();
      },
      Math.max(0, delayMs),
    );
  }

  #start(job: OutboxJob): void {
    const key = jobKey(job);
    const run = this.#attempt(job)
      .catch((error: unknown) => {
        // The row keeps its lease and comes back after it: nothing is lost.
        this.#o.log.error({ adapter: job.adapter, messageId: job.messageId, err: error }, "delivery outbox: cannot record outcome");
      })
      .finally(() => {
        this.#inFlight.delete(key);
        // A free slot: take the next due row now, not after the batching delay.
        this.#wakeAfter(0);
        this.#notifySettled();
      });
    this.#inFlight.set(key, run);
  }

  async #attempt(job: OutboxJob): Promise<void> {
    const { adapter, store, log, metrics, clock, retry } = this.#o;
    const fields = { adapter: job.adapter, messageId: job.messageId, targetId: job.targetId, attempt: job.attempts };
    const message = job.message;
    if (message === undefined) {
      log.warn(fields, "delivery dropped: the message left the cache before it could be delivered");
      await store.complete(job);
      metrics.expired(job.adapter);
      return;
    }
    if (job.adapter === "webpush" && job.subscription === undefined) {
      await store.complete(job);
      return;
    }
    if (clock.now() - message.timeMs > retry.maxMessageAgeMs) {
      await store.complete(job);
      metrics.expired(job.adapter);
      log.warn(fields, "delivery dropped: the message is too old to deliver");
      return;
    }

    let result: DeliveryResult;
    try {
      result = await adapter.deliver({ ...job, message });
    } catch (error) {
      // Adapters should not throw; treat it as an unknown failure rather than lose the row.
      result = { kind: "failed", code: ResultCode.GOOGLE_UNKNOWN, reason: `adapter error: ${(error as Error).message}` };
    }

    if (result.kind === "delivered") {
      await store.complete(job);
      metrics.delivered(job.adapter);
      log.debug(fields, "delivered");
      return;
    }
    const codeName = describeResultCode(result.code).name;
    if (result.targetGone === true) {
      await store.deleteWebPushSubscriptionById(job.targetId);
      metrics.failed(job.adapter, result.code, false);
      metrics.pruned();
      log.info({ ...fields, reason: result.reason }, "web push subscription is gone; removed");
      return;
    }
    const retryable = isRetryable(result.code) && job.attempts < retry.maxAttempts;
    metrics.failed(job.adapter, result.code, retryable);
    if (retryable) {
      const delayMs = retryDelayMs(retry, job.attempts, result.retryAfterMs);
      await store.reschedule(job, clock.now() + delayMs, `${result.code} ${codeName}: ${result.reason}`);
      log.warn({ ...fields, code: result.code, codeName, reason: result.reason, retryInMs: delayMs }, "delivery failed; will retry");
      return;
    }
    await store.complete(job);
    log.error(
      { ...fields, code: result.code, codeName, reason: result.reason, gaveUp: isRetryable(result.code) },
      "delivery failed permanently; dropped",
    );
  }
}
