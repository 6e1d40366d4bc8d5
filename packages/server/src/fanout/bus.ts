/**
 * Fan-out of accepted messages to live subscribers. One server process
 * uses {@link InProcessBus}; several processes behind a load balancer share
 * a Redis bus (`redis-bus.ts`) so a subscriber on any of them sees every
 * message.
 *
 * @module
 */
import type { StoredMessage } from "../storage/storage.js";

/** A message on the bus: already stored (durable); `timeMs` is when it was accepted. */
export type BusMessage = StoredMessage;

/** Called once per message published on a subscribed channel, in publish order. */
export type BusListener = (message: BusMessage) => void;

/** Ends a subscription; idempotent. */
export type Unsubscribe = () => Promise<void>;

/**
 * Publish/subscribe by prefixed channel.
 *
 * Contract: `subscribe` resolves only once the subscription is active, so a
 * message published after it resolves reaches the listener (the SSE route
 * relies on this to replay the cache without a gap). `publish` is called
 * only with messages that are already durable. Listeners must not throw.
 *
 * @example
 * const unsubscribe = await bus.subscribe("538113b2_MyChannel", (m) => send(m));
 * await bus.publish(stored);
 * await unsubscribe();
 */
export interface MessageBus {
  /** Delivers a durable message to every subscriber of its channel. */
  publish(message: BusMessage): Promise<void>;
  /** Subscribes to one channel. */
  subscribe(channel: string, listener: BusListener): Promise<Unsubscribe>;
  /** Number of active subscriptions in this process (for metrics). */
  subscriberCount(): number;
  /** Drops all subscriptions and releases connections. */
  close(): Promise<void>;
}

/**
 * The in-process bus: a map from channel to listeners. Delivery is
 * synchronous within `publish`.
 */
export class InProcessBus implements MessageBus {
  readonly #channels = new Map<string, Set<BusListener>>();
  #count = 0;

  async publish(message: BusMessage): Promise<void> {
    this.publishSync(message);
  }

  /** Synchronous publish, for callers on a hot path. */
  publishSync(message: BusMessage): void {
    const listeners = this.#channels.get(message.channel);
    if (listeners === undefined) return;
    for (const listener of listeners) listener(message);
  }

  async subscribe(channel: string, listener: BusListener): Promise<Unsubscribe> {
    let listeners = this.#channels.get(channel);
    if (listeners === undefined) {
      listeners = new Set();
      this.#channels.set(channel, listeners);
    }
    // Wrap so that subscribing the same function twice gives two subscriptions.
    const entry: BusListener = (m) => listener(m);
    listeners.add(entry);
    this.#count++;
    let active = true;
    return async () => {
      if (!active) return;
      active = false;
      this.#count--;
      const set = this.#channels.get(channel);
      if (set === undefined) return;
      set.delete(entry);
      if (set.size === 0) this.#channels.delete(channel);
    };
  }

  subscriberCount(): number {
    return this.#count;
  }

  async close(): Promise<void> {
    this.#channels.clear();
    this.#count = 0;
  }
}
