/**
 * What the app keeps of each received event: a decrypted message or an
 * error entry for one that did not open, with the times the user sees.
 *
 * @module
 */
import type { PushPayload } from "lightweightpush/protocol";
import type { ReceiveResult } from "lightweightpush/receiver";

interface RecordBase {
  /** Unique per server message: `prefixedChannel/serverId`. */
  readonly key: string;
  /** Server message id. */
  readonly id: string;
  /** The prefixed channel it arrived on. */
  readonly channel: string;
  /** When the server accepted it, unix seconds. */
  readonly serverTime: number;
  /** When this browser received it, milliseconds since the epoch. */
  readonly receivedAtMs: number;
}

/** A message that decrypted. */
export interface MessageRecord extends RecordBase {
  readonly kind: "message";
  readonly envelope: 1 | 2;
  readonly payload: PushPayload;
  /** The v2 payload id, indexed so that a replayed message is dropped even after a reload. */
  readonly payloadId?: string;
}

/** An event whose payload did not decrypt or parse. */
export interface ErrorRecord extends RecordBase {
  readonly kind: "error";
}

/** One history entry. */
export type HistoryRecord = MessageRecord | ErrorRecord;

/** The message state as shown: triggered, normal, or none given. */
export type DisplayState = "triggered" | "normal" | "none";

/** The storage key of a server event. */
export function recordKey(prefixedChannel: string, id: string): string {
  return `${prefixedChannel}/${id}`;
}

/** Turns a receiver result into a history entry. */
export function toRecord(result: ReceiveResult, receivedAtMs: number): HistoryRecord {
  const base = {
    key: recordKey(result.channel, result.id),
    id: result.id,
    channel: result.channel,
    serverTime: result.serverTime,
    receivedAtMs,
  };
  if (result.kind === "error") return { ...base, kind: "error" };
  return {
    ...base,
    kind: "message",
    envelope: result.envelope,
    payload: result.payload,
    ...(result.payload.id !== undefined ? { payloadId: result.payload.id } : {}),
  };
}

/** The state of a message as shown to the user. */
export function displayState(record: MessageRecord): DisplayState {
  if (!record.payload.is_sa) return "none";
  return record.payload.st === 1 ? "triggered" : "normal";
}

/** Human label of a state; always shown beside the colour. */
export const STATE_LABEL: Readonly<Record<DisplayState, string>> = { triggered: "Triggered", normal: "Normal", none: "Message" };

/** The channel name without the 8-hex-digit account prefix. */
export function channelName(prefixedChannel: string): string {
  return /^[0-9a-f]{8}_/.test(prefixedChannel) ? prefixedChannel.slice(9) : prefixedChannel;
}

/** Newest first: by server time, then by arrival. */
export function compareNewestFirst(a: HistoryRecord, b: HistoryRecord): number {
  return b.serverTime - a.serverTime || b.receivedAtMs - a.receivedAtMs || (a.key < b.key ? 1 : a.key > b.key ? -1 : 0);
}

/** The text of an error entry. */
export const UNDECRYPTABLE_TEXT = "This message could not be decrypted. Check the shared secret and the account e-mail in the settings.";

/** Title, body and tag of a browser notification for an entry. */
export interface NotificationContent {
  readonly title: string;
  readonly body: string;
  /** One notification per message, so the page and the service worker never show it twice. */
  readonly tag: string;
  /** The app URL that opens this entry. */
  readonly url: string;
  /** Triggered messages ask for attention until dismissed. */
  readonly requireInteraction: boolean;
}

/** The app URL of an entry's detail view. */
export function detailPath(key: string): string {
  return `./#/message/${encodeURIComponent(key)}`;
}

/** What a notification for `record` says. The state is in the words, not only in the look. */
export function notificationContent(record: HistoryRecord): NotificationContent {
  const url = detailPath(record.key);
  if (record.kind === "error") {
    return {
      title: `Undecryptable message on ${channelName(record.channel)}`,
      body: UNDECRYPTABLE_TEXT,
      tag: record.key,
      url,
      requireInteraction: false,
    };
  }
  const state = displayState(record);
  const prefix = state === "triggered" ? "\u26a0 TRIGGERED: " : state === "normal" ? "Normal: " : "";
  return {
    title: `${prefix}${record.payload.sbj}`,
    body: record.payload.msg,
    tag: record.key,
    url,
    requireInteraction: state === "triggered",
  };
}
