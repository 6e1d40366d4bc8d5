/**
 * Opening received messages on the device: decrypt with the shared secret,
 * drop replays, report what does not open as an error, never as a message.
 *
 * @module
 */
import type { CryptoBackend } from "../protocol/crypto.js";
import { isV2 } from "../protocol/envelope-v2.js";
import { DecryptionFailedError } from "../protocol/errors.js";
import { openMessage } from "../protocol/message.js";
import type { PushPayload } from "../protocol/payload.js";
import type { ServerEvent } from "./server-event.js";

/** A message that opened. */
export interface ReceivedMessage {
  readonly kind: "message";
  /** Server message id. */
  readonly id: string;
  readonly channel: string;
  /** When the server accepted it, unix seconds. */
  readonly serverTime: number;
  readonly envelope: 1 | 2;
  readonly payload: PushPayload;
}

/** An event whose payload did not open. */
export interface UndecryptableMessage {
  readonly kind: "error";
  readonly id: string;
  readonly channel: string;
  readonly serverTime: number;
  readonly error: DecryptionFailedError;
}

/** What {@link Receiver.open} makes of one event. */
export type ReceiveResult = ReceivedMessage | UndecryptableMessage;

/** Settings of a {@link Receiver}. */
export interface ReceiverOptions {
  readonly username: string;
  readonly sharedSecret: string;
  readonly crypto: CryptoBackend;
  /**
   * How many ids to remember for replay detection.
   * @default 10000
   */
  readonly rememberIds?: number;
}

/** Remembers recently seen ids, forgetting the oldest beyond a bound. */
class RecentIds {
  readonly #ids = new Set<string>();
  constructor(private readonly limit: number) {}

  /** Records `id`; returns false when it was already there. */
  add(id: string): boolean {
    if (this.#ids.has(id)) return false;
    this.#ids.add(id);
    if (this.#ids.size > this.limit) {
      const oldest = this.#ids.values().next().value;
      if (oldest !== undefined) this.#ids.delete(oldest);
    }
    return true;
  }
}

/**
 * Opens server events for one account. Returns `undefined` for an event
 * already seen (same server id on the same channel) and for a v2 message
 * whose payload id was already shown.
 *
 * @example
 * const receiver = new Receiver({ username, sharedSecret, crypto: webCryptoBackend() });
 * const result = await receiver.open(event, "538113b2_MyChannel");
 */
export class Receiver {
  readonly #options: ReceiverOptions;
  readonly #seenEvents: RecentIds;
  readonly #seenPayloadIds: RecentIds;

  constructor(options: ReceiverOptions) {
    this.#options = options;
    const limit = options.rememberIds ?? 10_000;
    this.#seenEvents = new RecentIds(limit);
    this.#seenPayloadIds = new RecentIds(limit);
  }

  /**
   * Opens an event received on `subscribedChannel`. The channel we
   * subscribed to, not the one the server names, is what a v2 envelope is
   * checked against, so a relay cannot move messages between channels.
   */
  async open(event: ServerEvent, subscribedChannel: string = event.channel): Promise<ReceiveResult | undefined> {
    if (!this.#seenEvents.add(`${subscribedChannel}\u0000${event.id}`)) return undefined;
    const base = { id: event.id, channel: subscribedChannel, serverTime: event.time };
    let payload: PushPayload;
    try {
      payload = await openMessage(event.payload, subscribedChannel, this.#options);
    } catch {
      return { kind: "error", ...base, error: new DecryptionFailedError() };
    }
    if (payload.id !== undefined && !this.#seenPayloadIds.add(payload.id)) return undefined;
    return { kind: "message", ...base, envelope: isV2(event.payload) ? 2 : 1, payload };
  }
}
