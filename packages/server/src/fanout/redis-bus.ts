/**
 * Fan-out across server instances through Redis pub/sub, chosen with
 * `--redis-url`.
 *
 * Redis carries only a doorbell: "channel C has a message with id N". The
 * message itself is read from the shared storage, which is the source of
 * truth. Each instance keeps, per channel it has subscribers for, the last id
 * it delivered, and on a doorbell reads everything after that id in id
 * order. This is what makes the bus exact across instances:
 *
 * - Order: two instances publish independently, so doorbells can arrive out
 *   of id order; reading from the storage (whose ids increase in commit
 *   order) always delivers in id order, without gaps or duplicates.
 * - Outages: pub/sub forgets what it could not deliver. When the subscriber
 *   connection comes back, every channel is resubscribed and read from its
 *   last delivered id, so open SSE streams catch up by themselves. A
 *   doorbell that could not be published is published again when the
 *   publisher reconnects, and a periodic sweep covers an instance that
 *   died between commit and publish.
 *
 * Why pub/sub and not streams: the storage already keeps every message in
 * order, so a Redis stream would be a second copy to size and trim; pub/sub
 * keeps Redis stateless (nothing to persist or back up) and the catch-up
 * above closes the gaps pub/sub leaves.
 *
 * @module
 */
import { Redis } from "ioredis";
import type { Storage } from "../storage/storage.js";
import type { BusListener, BusMessage, MessageBus, Unsubscribe } from "./bus.js";
import { closeRedis, redisClientOptions, waitReady } from "./redis-connection.js";

/** Settings of {@link RedisBus}. */
export interface RedisBusOptions {
  /** `redis://[[user]:password@]host[:port][/db]` or `rediss://` for TLS. */
  readonly url: string;
  /** The storage shared by all instances; messages are read from it. */
  readonly storage: Pick<Storage, "listMessages" | "lastMessageId">;
  /**
   * Prefix of the pub/sub channels (which Redis shares across databases), so
   * several deployments can share one Redis.
   * @default "lwp:"
   */
  readonly keyPrefix?: string;
  /** Most messages read from the storage per query while catching up. @default 500 */
  readonly readBatchSize?: number;
  /** First wait before reading again after a storage error, ms; doubles up to `retryMaxDelayMs`. @default 100 */
  readonly retryInitialDelayMs?: number;
  /** Longest wait between reads after storage errors, ms. @default 5000 */
  readonly retryMaxDelayMs?: number;
  /** How often every subscribed channel is checked for messages whose doorbell never came, ms; 0 turns it off. @default 30000 */
  readonly sweepIntervalMs?: number;
  /** How long one Redis command may take, ms. @default 2000 */
  readonly commandTimeoutMs?: number;
  /** Errors of Redis connections and of storage reads; the bus recovers by itself. @default ignored */
  readonly onError?: (error: Error) => void;
}

interface ChannelState {
  readonly name: string;
  readonly listeners: Set<BusListener>;
  /** Subscriptions made or being made; the Redis subscription goes when it drops to 0. */
  refs: number;
  /** Settles once the Redis subscription was tried and `lastId` is known. */
  ready: Promise<void>;
  initialized: boolean;
  /** Highest id delivered to this channel's listeners (or known to precede them). */
  lastId: number;
  reading: boolean;
  readAgain: boolean;
  retryDelayMs: number;
  retryTimer: NodeJS.Timeout | undefined;
}

/**
 * A {@link MessageBus} shared by every instance connected to the same Redis
 * and storage. Needs two Redis connections (publish, subscribe).
 *
 * @example
 * const bus = new RedisBus({ url: config.redisUrl, storage });
 * await bus.ready();
 */
export class RedisBus implements MessageBus {
  readonly #storage: Pick<Storage, "listMessages" | "lastMessageId">;
  readonly #prefix: string;
  readonly #readBatchSize: number;
  readonly #retryInitialDelayMs: number;
  readonly #retryMaxDelayMs: number;
  readonly #onError: (error: Error) => void;
  readonly #pub: Redis;
  readonly #sub: Redis;
  readonly #channels = new Map<string, ChannelState>();
  /** Doorbells that could not be published: channel -> highest id. */
  readonly #unannounced = new Map<string, number>();
  readonly #sweepTimer: NodeJS.Timeout | undefined;
  #sweepWatermark = 0;
  #count = 0;
  #closed = false;

  constructor(options: RedisBusOptions) {
    this.#storage = options.storage;
    this.#prefix = `${options.keyPrefix ?? "lwp:"}m:`;
    this.#readBatchSize = options.readBatchSize ?? 500;
    this.#retryInitialDelayMs = options.retryInitialDelayMs ?? 100;
    this.#retryMaxDelayMs = options.retryMaxDelayMs ?? 5000;
    this.#onError = options.onError ?? (() => {});
    const commandTimeoutMs = options.commandTimeoutMs ?? 2000;

    this.#pub = new Redis(options.url, redisClientOptions(commandTimeoutMs, "lwp-publish"));
    this.#pub.on("error", (error: Error) => this.#onError(error));
    this.#pub.on("ready", () => this.#announceUnannounced());

    // Resubscribing is ours (not ioredis's), so that catching up starts only once it is done.
    this.#sub = new Redis(options.url, {
      ...redisClientOptions(commandTimeoutMs, "lwp-subscribe"),
      autoResubscribe: false,
      enableAutoPipelining: false,
    });
    this.#sub.on("error", (error: Error) => this.#onError(error));
    this.#sub.on("ready", () => void this.#resubscribeAndCatchUp());
    this.#sub.on("message", (redisChannel: string, text: string) => {
      if (!redisChannel.startsWith(this.#prefix)) return;
      const id = Number(text);
      if (Number.isSafeInteger(id)) this.#ring(redisChannel.slice(this.#prefix.length), id);
    });

    const sweepIntervalMs = options.sweepIntervalMs ?? 30_000;
    if (sweepIntervalMs > 0) {
      this.#sweepTimer = setInterval(() => void this.#sweep(), sweepIntervalMs);
      this.#sweepTimer.unref();
    }
  }

  /** Resolves once both connections are up; rejects if Redis cannot be reached now (used at start, to fail fast on a wrong URL). */
  async ready(): Promise<void> {
    await Promise.all([waitReady(this.#pub), waitReady(this.#sub)]);
  }

  /**
   * Announces a durable message to every instance, this one included. Never
   * rejects: the message is already stored, and a doorbell that cannot be
   * sent now is sent when Redis is back.
   */
  async publish(message: BusMessage): Promise<void> {
    // This instance's subscribers do not wait for the round trip through Redis (or for Redis at all).
    this.#ring(message.channel, message.id);
    try {
      await this.#pub.publish(this.#prefix + message.channel, String(message.id));
    } catch (error) {
      const pending = this.#unannounced.get(message.channel) ?? 0;
      this.#unannounced.set(message.channel, Math.max(pending, message.id));
      this.#onError(error as Error);
    }
  }

  async subscribe(channel: string, listener: BusListener): Promise<Unsubscribe> {
    if (this.#closed) throw new Error("the message bus is closed");
    let state = this.#channels.get(channel);
    if (state === undefined) {
      const created: ChannelState = {
        name: channel,
        listeners: new Set(),
        refs: 0,
        ready: Promise.resolve(),
        initialized: false,
        lastId: 0,
        reading: false,
        readAgain: false,
        retryDelayMs: this.#retryInitialDelayMs,
        retryTimer: undefined,
      };
      created.ready = this.#activate(created);
      this.#channels.set(channel, created);
      state = created;
    }
    state.refs++;
    try {
      await state.ready;
    } catch (error) {
      this.#release(state);
      throw error;
    }
    // Wrapped so that subscribing the same function twice gives two subscriptions.
    const entry: BusListener = (m) => listener(m);
    state.listeners.add(entry);
    this.#count++;
    let active = true;
    const subscribed = state;
    return async () => {
      if (!active) return;
      active = false;
      this.#count--;
      subscribed.listeners.delete(entry);
      this.#release(subscribed);
    };
  }

  subscriberCount(): number {
    return this.#count;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#sweepTimer !== undefined) clearInterval(this.#sweepTimer);
    for (const state of this.#channels.values()) clearTimeout(state.retryTimer);
    this.#channels.clear();
    this.#count = 0;
    await Promise.all([closeRedis(this.#pub), closeRedis(this.#sub)]);
  }

  /**
   * Subscribes in Redis first, then takes the storage's last id as the
   * starting point: every message committed after that point rings a
   * doorbell this subscription hears, and everything up to it is what the
   * caller replays from the cache. If Redis is down the subscription is
   * made on reconnect, followed by a catch-up read, so nothing is missed.
   */
  async #activate(state: ChannelState): Promise<void> {
    try {
      await this.#sub.subscribe(this.#prefix + state.name);
    } catch (error) {
      this.#onError(error as Error);
    }
    state.lastId = await this.#storage.lastMessageId();
    state.initialized = true;
  }

  #release(state: ChannelState): void {
    state.refs--;
    if (state.refs > 0 || this.#channels.get(state.name) !== state) return;
    this.#channels.delete(state.name);
    clearTimeout(state.retryTimer);
    if (this.#sub.status === "ready") this.#sub.unsubscribe(this.#prefix + state.name).catch((e: Error) => this.#onError(e));
  }

  #ring(channel: string, id: number): void {
    const state = this.#channels.get(channel);
    if (state === undefined || !state.initialized || id <= state.lastId) return;
    void this.#read(state);
  }

  /** Reads the channel after its last delivered id and delivers in id order; one read per channel at a time. */
  async #read(state: ChannelState): Promise<void> {
    if (state.reading || state.retryTimer !== undefined) {
      state.readAgain = true;
      return;
    }
    state.reading = true;
    try {
      do {
        state.readAgain = false;
        const messages = await this.#storage.listMessages(state.name, { afterId: state.lastId, limit: this.#readBatchSize });
        for (const message of messages) {
          if (message.id <= state.lastId) continue;
          state.lastId = message.id;
          for (const listener of state.listeners) {
            try {
              listener(message);
            } catch (error) {
              // One faulty listener must not keep the message from the others (or make the read repeat).
              this.#onError(error as Error);
            }
          }
        }
        if (messages.length >= this.#readBatchSize) state.readAgain = true;
      } while (state.readAgain && this.#channels.get(state.name) === state);
      state.retryDelayMs = this.#retryInitialDelayMs;
    } catch (error) {
      // The doorbell said there is something to read: keep trying until the storage answers.
      this.#onError(error as Error);
      const delayMs = state.retryDelayMs;
      state.retryDelayMs = Math.min(delayMs * 2, this.#retryMaxDelayMs);
      state.retryTimer = setTimeout(() => {
        state.retryTimer = undefined;
        if (this.#channels.get(state.name) === state) void this.#read(state);
      }, delayMs);
      state.retryTimer.unref();
    } finally {
      state.reading = false;
    }
  }

  async #resubscribeAndCatchUp(): Promise<void> {
    const names = [...this.#channels.keys()];
    if (names.length > 0) {
      try {
        await this.#sub.subscribe(...names.map((name) => this.#prefix + name));
      } catch (error) {
        // The connection dropped again; the next "ready" retries.
        this.#onError(error as Error);
        return;
      }
    }
    // A subscription still activating reads once its starting id is known, so the window between that id and
    // this resubscription is covered too.
    for (const state of this.#channels.values()) {
      state.ready.then(
        () => this.#read(state),
        () => {},
      );
    }
  }

  #announceUnannounced(): void {
    const pending = [...this.#unannounced];
    this.#unannounced.clear();
    for (const [channel, id] of pending) {
      this.#pub.publish(this.#prefix + channel, String(id)).catch((error: Error) => {
        this.#unannounced.set(channel, Math.max(this.#unannounced.get(channel) ?? 0, id));
        this.#onError(error);
      });
    }
  }

  async #sweep(): Promise<void> {
    if (this.#channels.size === 0) return;
    let last: number;
    try {
      last = await this.#storage.lastMessageId();
    } catch (error) {
      this.#onError(error as Error);
      return;
    }
    if (last <= this.#sweepWatermark) return;
    this.#sweepWatermark = last;
    for (const state of this.#channels.values()) if (state.initialized && state.lastId < last) void this.#read(state);
  }
}
