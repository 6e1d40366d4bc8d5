/**
 * Channel names: validation, and the per-account prefix every channel gets
 * on the wire (`538113b2_MyChannel`).
 *
 * @module
 */
import type { CryptoBackend } from "./crypto.js";
import { toHex, utf8 } from "./encoding.js";
import { InvalidInputError } from "./errors.js";

const CHANNEL_RE = /^[a-zA-Z0-9\-_.~%]+$/;

/** The service-wide notification channel; only privileged accounts may send to it. Compared case-insensitively. */
export const NOTIFICATION_CHANNEL = "alertR_notification";

/** Whether a channel name is allowed (`^[a-zA-Z0-9-_.~%]+$`). */
export function isValidChannel(channel: string): boolean {
  return CHANNEL_RE.test(channel);
}

/** Throws {@link InvalidInputError} for a channel name that is not allowed. */
export function assertValidChannel(channel: string): void {
  if (!isValidChannel(channel)) throw new InvalidInputError("Channel contains illegal characters.");
}

/**
 * Whether a wire channel is the service-wide notification channel. Senders
 * always prefix their channel, so only a raw frame can name it.
 */
export function isNotificationChannel(channel: string): boolean {
  return channel.toLowerCase() === NOTIFICATION_CHANNEL.toLowerCase();
}

/**
 * The 8-hex-digit account prefix: the first 8 hex digits of SHA-256 of the
 * UTF-8 username.
 */
export async function channelPrefix(username: string, crypto: CryptoBackend): Promise<string> {
  return toHex((await crypto.sha256(utf8(username))).subarray(0, 4));
}

/**
 * The channel as it travels on the wire and as receivers subscribe to it.
 * Every channel is prefixed, as the original client does.
 *
 * @example
 * await prefixedChannel("my_email@alertr.de", "MyChannel", crypto) // "538113b2_MyChannel"
 */
export async function prefixedChannel(username: string, channel: string, crypto: CryptoBackend): Promise<string> {
  assertValidChannel(channel);
  return `${await channelPrefix(username, crypto)}_${channel}`;
}
