/**
 * Sealing a message end to end: validate, truncate, build the payload,
 * encrypt with the chosen envelope. Pure apart from the injected crypto,
 * clock readings and randomness.
 *
 * @module
 */
import { assertValidChannel } from "./channel.js";
import type { CryptoBackend, RandomSource } from "./crypto.js";
import { openV1, sealV1, sealV1Now } from "./envelope-v1.js";
import { isV2, newMessageId, openV2, sealV2 } from "./envelope-v2.js";
import { InvalidInputError } from "./errors.js";
import { assertValidState, assertValidUnixSeconds, type MessageState, type PushPayload, serializePayload } from "./payload.js";
import { truncateText } from "./truncate.js";

/** Envelope format version. */
export type EnvelopeVersion = 1 | 2;

/** What a sender puts into a message. */
export interface MessageInput {
  readonly subject: string;
  readonly message: string;
  /** 0 normal, 1 triggered; absent when the message carries no state. */
  readonly state?: MessageState | undefined;
  /** Time triggered, unix seconds. */
  readonly timeTriggered: number;
}

/** Checks sender input; throws {@link InvalidInputError} before anything is sent. */
export function validateMessageInput(channel: string, input: MessageInput): void {
  assertValidChannel(channel);
  assertValidState(input.state);
  assertValidUnixSeconds(input.timeTriggered, "Time triggered");
  if (typeof input.subject !== "string" || typeof input.message !== "string") {
    throw new InvalidInputError("Subject and message have to be strings.");
  }
}

/** Builds the plaintext payload, truncated to the size limit, and its JSON serialisation. */
export function buildPayload(
  input: MessageInput,
  timeSent: number,
  id?: string,
): { payload: PushPayload; truncated: boolean; json: string } {
  const text = truncateText(input.subject, input.message);
  const payload: PushPayload = {
    sbj: text.subject,
    msg: text.message,
    tt: input.timeTriggered,
    is_sa: input.state !== undefined,
    ...(input.state !== undefined ? { st: input.state } : {}),
    ts: timeSent,
    ...(id !== undefined ? { id } : {}),
  };
  return { payload, truncated: text.truncated, json: serializePayload(payload, text) };
}

/** Everything needed to seal one attempt. */
export interface SealOptions {
  readonly username: string;
  readonly sharedSecret: string;
  /** The prefixed channel (see `prefixedChannel`). */
  readonly prefixedChannel: string;
  readonly envelope: EnvelopeVersion;
  readonly crypto: CryptoBackend;
  readonly random: RandomSource;
  /**
   * Envelope v2: the payload id. Pass the same id for every attempt of one
   * message, so that a receiver drops a retry whose first attempt did
   * arrive after all.
   * @default a fresh id per call
   */
  readonly messageId?: string | undefined;
}

/** A sealed message, ready to be framed. */
export interface SealedMessage {
  readonly data: string;
  readonly truncated: boolean;
}

/**
 * Seals one attempt of a message. Each call draws a fresh IV or nonce
 * (and, unless given, a fresh v2 message id).
 */
export async function sealMessage(input: MessageInput, timeSent: number, options: SealOptions): Promise<SealedMessage> {
  if (options.envelope === 2) {
    const { payload, truncated, json } = buildPayload(input, timeSent, options.messageId ?? newMessageId(options.random));
    const data = await sealV2(
      payload,
      options.sharedSecret,
      options.username,
      options.prefixedChannel,
      options.crypto,
      options.random,
      json,
    );
    return { data, truncated };
  }
  const { truncated, json } = buildPayload(input, timeSent);
  // Once the key is cached, node:crypto seals without awaiting anything.
  const data = sealV1Now(json, options.sharedSecret, options.crypto, options.random);
  return { data: data ?? (await sealV1(json, options.sharedSecret, options.crypto, options.random)), truncated };
}

/** What a receiver needs to open messages of one account. */
export interface OpenOptions {
  readonly username: string;
  readonly sharedSecret: string;
  readonly crypto: CryptoBackend;
}

/**
 * Opens a `data` string received on `prefixedChannel`, whichever envelope
 * it uses. Rejects with `DecryptionFailedError` for anything that does not
 * open to a well-formed payload.
 */
export function openMessage(data: string, prefixedChannel: string, options: OpenOptions): Promise<PushPayload> {
  return isV2(data)
    ? openV2(data, options.sharedSecret, options.username, prefixedChannel, options.crypto)
    : openV1(data, options.sharedSecret, options.crypto);
}
