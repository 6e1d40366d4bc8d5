/**
 * The message events a Lightweight Push server streams to subscribers
 * (`GET /v1/channels/{prefixedChannel}/events`, Server-Sent Events).
 *
 * @module
 */

/** The JSON `data` of one `message` event. */
export interface ServerEvent {
  /** Server-assigned message id; also the SSE `id:` line. */
  readonly id: string;
  /** When the server accepted the message, unix seconds. */
  readonly time: number;
  /** The prefixed channel. */
  readonly channel: string;
  /** The sealed envelope exactly as sent (opaque to the server). */
  readonly payload: string;
}

/** Reads a `message` event's data; `undefined` when it is not one. */
export function parseServerEvent(data: string): ServerEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const id = typeof v.id === "number" ? String(v.id) : v.id;
  if (typeof id !== "string" || typeof v.channel !== "string" || typeof v.payload !== "string") return undefined;
  if (typeof v.time !== "number" || !Number.isFinite(v.time)) return undefined;
  return { id, time: v.time, channel: v.channel, payload: v.payload };
}

/** The events URL of one prefixed channel on a server. */
export function channelEventsUrl(serverUrl: string, prefixedChannel: string): string {
  return new URL(
    `v1/channels/${encodeURIComponent(prefixedChannel)}/events`,
    serverUrl.endsWith("/") ? serverUrl : `${serverUrl}/`,
  ).toString();
}
