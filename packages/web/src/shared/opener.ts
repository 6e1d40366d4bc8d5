/**
 * Opening server events in the browser with the library's receiver and
 * WebCrypto: the same code as every other receiver, no second
 * implementation.
 *
 * @module
 */
import { prefixedChannel, webCryptoBackend } from "lightweightpush/protocol";
import { parseServerEvent, Receiver } from "lightweightpush/receiver";
import { type HistoryRecord, toRecord } from "./records.js";
import type { Settings } from "./settings.js";

const crypto = webCryptoBackend();

/** A configured channel: the name the user typed and the name on the wire. */
export interface ChannelSubscription {
  readonly name: string;
  readonly prefixed: string;
}

/** The prefixed (wire) names of the configured channels. */
export function subscriptions(settings: Settings): Promise<ChannelSubscription[]> {
  return Promise.all(settings.channels.map(async (name) => ({ name, prefixed: await prefixedChannel(settings.username, name, crypto) })));
}

/**
 * Decrypts the events of one account into history entries.
 *
 * @example
 * const opener = new EventOpener(settings);
 * const record = await opener.open(sseData, "538113b2_door"); // undefined: not an event, or a replay
 */
export class EventOpener {
  readonly #receiver: Receiver;

  constructor(settings: Settings) {
    this.#receiver = new Receiver({ username: settings.username, sharedSecret: settings.sharedSecret, crypto });
  }

  /**
   * Opens the JSON data of a server event that arrived for `prefixedChannel`.
   * Returns `undefined` for data that is no event and for replays; an event
   * that does not decrypt becomes an error entry.
   */
  async open(data: string, prefixedChannel: string, receivedAtMs: number = Date.now()): Promise<HistoryRecord | undefined> {
    const event = parseServerEvent(data);
    if (event === undefined) return undefined;
    const result = await this.#receiver.open(event, prefixedChannel);
    return result === undefined ? undefined : toRecord(result, receivedAtMs);
  }
}
