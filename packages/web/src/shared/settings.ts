/**
 * The receiver's settings: which server, which account, which channels, and
 * the shared secret. They live only in this browser's IndexedDB; the secret
 * is used for decryption on the device and never leaves it.
 *
 * @module
 */
import { isValidChannel } from "lightweightpush/protocol";

/** What the user configures. */
export interface Settings {
  /** Base URL of the Lightweight Push server, e.g. `https://push.example.org/`. */
  readonly serverUrl: string;
  /** The account e-mail; it prefixes every channel and salts the v2 key. */
  readonly username: string;
  /** Channel names as the sender uses them (without the account prefix). */
  readonly channels: readonly string[];
  /** The secret messages are encrypted with. */
  readonly sharedSecret: string;
}

/** Raw form input, before checking. */
export interface SettingsInput {
  readonly serverUrl: string;
  readonly username: string;
  readonly channels: string;
  readonly sharedSecret: string;
}

/** The outcome of {@link parseSettings}: settings, or one message per bad field. */
export type ParsedSettings =
  | { readonly ok: true; readonly settings: Settings }
  | { readonly ok: false; readonly errors: Readonly<Partial<Record<keyof SettingsInput, string>>> };

/**
 * Splits a comma-separated channel list, dropping blanks and repeats.
 *
 * @example
 * parseChannelList(" door, window,,door ") // ["door", "window"]
 */
export function parseChannelList(text: string): string[] {
  const seen = new Set<string>();
  for (const part of text.split(",")) {
    const channel = part.trim();
    if (channel !== "") seen.add(channel);
  }
  return [...seen];
}

/** Checks form input and turns it into {@link Settings}. */
export function parseSettings(input: SettingsInput): ParsedSettings {
  const errors: Partial<Record<keyof SettingsInput, string>> = {};
  let serverUrl = "";
  try {
    const url = new URL(input.serverUrl.trim());
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("not http");
    serverUrl = url.toString();
  } catch {
    errors.serverUrl = "Enter the server's address, starting with https:// or http://.";
  }
  const username = input.username.trim();
  if (username === "") errors.username = "Enter the account e-mail the messages are sent with.";
  const channels = parseChannelList(input.channels);
  const bad = channels.filter((c) => !isValidChannel(c));
  if (channels.length === 0) errors.channels = "Enter at least one channel.";
  else if (bad.length > 0) errors.channels = `Channels may only contain letters, digits and - _ . ~ %: ${bad.join(", ")}`;
  if (input.sharedSecret === "") errors.sharedSecret = "Enter the shared secret the messages are encrypted with.";
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, settings: { serverUrl, username, channels, sharedSecret: input.sharedSecret } };
}
