/**
 * Web Push requests as data (RFC 8030/8291/8292): what the service worker
 * receives, the encrypted request the `web-push` library builds for it, and
 * the mapping of push-service answers to result codes.
 *
 * ## Push payload (the contract with `packages/web`'s service worker)
 * The decrypted push data is UTF-8 JSON, the same object as the `data` of a
 * Server-Sent `message` event (`lightweightpush/receiver` `parseServerEvent`):
 * ```json
 * {"id":"42","time":1764850000,"channel":"538113b2_MyChannel","payload":"<sealed envelope as sent>"}
 * ```
 * `id` is the server's message id (string), `time` the acceptance time in
 * unix seconds, `channel` the prefixed channel, `payload` the opaque sealed
 * envelope, never read by the server. A push service takes at most 4096
 * bytes per message; when the event would not fit, `payload` is left out
 * and the app fetches the message by id from the channel's event stream
 * (`GET /v1/channels/{channel}/events?since=<id - 1>`).
 *
 * @module
 */
import { ResultCode } from "lightweightpush/protocol";
import webpush from "web-push";
import type { DeliveryResult } from "../delivery-adapter.js";
import type { OutboxMessage, WebPushSubscription } from "../delivery-store.js";
import { parseRetryAfterMs } from "../retry-policy.js";
import type { VapidKeys } from "./vapid-keys.js";

/**
 * Largest plaintext in one push: 4096 bytes of body minus the aes128gcm
 * header (86), the padding delimiter (1) and the tag (16).
 */
export const WEB_PUSH_MAX_PLAINTEXT_BYTES = 3993;

/** The push data for a message (see the module comment). */
export function webPushPayload(message: OutboxMessage): string {
  const event = { id: String(message.id), time: Math.floor(message.timeMs / 1000), channel: message.channel, payload: message.payload };
  const full = JSON.stringify(event);
  if (Buffer.byteLength(full, "utf8") <= WEB_PUSH_MAX_PLAINTEXT_BYTES) return full;
  return JSON.stringify({ id: event.id, time: event.time, channel: event.channel });
}

/** Settings shared by every push request. */
export interface WebPushRequestSettings {
  readonly vapidKeys: VapidKeys;
  /** VAPID `sub`: a `mailto:` or `https:` contact for the push service operator. */
  readonly subject: string;
  /** How long the push service keeps an undelivered message, seconds. */
  readonly ttlSeconds: number;
}

/** An encrypted, signed request to a push endpoint. */
export interface WebPushRequestSpec {
  readonly url: string;
  readonly method: "POST";
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** How long a VAPID JWT is valid, seconds (RFC 8292 allows at most 24 h). */
const VAPID_JWT_LIFETIME_SECONDS = 12 * 3600;
/** A cached JWT is replaced this long before it expires, seconds. */
const VAPID_JWT_RENEW_SECONDS = 3600;

/**
 * VAPID `Authorization` headers, one ES256-signed JWT per push service
 * origin (the `aud`), reused until an hour before it expires: signing per
 * push would cost more than the push.
 */
export class VapidAuthorizations {
  readonly #settings: WebPushRequestSettings;
  readonly #byAudience = new Map<string, { header: string; renewAtSeconds: number }>();

  constructor(settings: WebPushRequestSettings) {
    this.#settings = settings;
  }

  /** The header for an endpoint; `nowSeconds` is real time (the push service checks `exp` against its clock). */
  forEndpoint(endpoint: string, nowSeconds = Math.floor(Date.now() / 1000)): string {
    const audience = new URL(endpoint).origin;
    const cached = this.#byAudience.get(audience);
    if (cached !== undefined && cached.renewAtSeconds > nowSeconds) return cached.header;
    const expiration = nowSeconds + VAPID_JWT_LIFETIME_SECONDS;
    const { vapidKeys, subject } = this.#settings;
    const header = webpush.getVapidHeaders(
      audience,
      subject,
      vapidKeys.publicKey,
      vapidKeys.privateKey,
      "aes128gcm",
      expiration,
    ).Authorization;
    // Bounded: one entry per push service origin, and there are a handful.
    if (this.#byAudience.size > 1000) this.#byAudience.clear();
    this.#byAudience.set(audience, { header, renewAtSeconds: expiration - VAPID_JWT_RENEW_SECONDS });
    return header;
  }
}

/**
 * Builds the request for one message to one subscription: aes128gcm body
 * encrypted to the browser's keys (a fresh ephemeral key per push, as RFC
 * 8291 requires), VAPID `Authorization`, `TTL`, `Urgency: high` (the
 * server cannot see whether an alarm is triggered, so every message may be
 * urgent), and a `Topic` derived from the message id so that a push re-sent
 * after a lost answer replaces the first one while it is still queued
 * instead of arriving twice.
 */
export function buildWebPushRequest(
  subscription: WebPushSubscription,
  message: OutboxMessage,
  settings: WebPushRequestSettings,
  authorizations: VapidAuthorizations = new VapidAuthorizations(settings),
): WebPushRequestSpec {
  const details = webpush.generateRequestDetails(
    { endpoint: subscription.endpoint, keys: { p256dh: subscription.p256dh, auth: subscription.auth } },
    webPushPayload(message),
    {
      // No vapidDetails: the library would sign a new JWT per push; the cached header goes in instead.
      headers: { Authorization: authorizations.forEndpoint(subscription.endpoint) },
      TTL: settings.ttlSeconds,
      urgency: "high",
      topic: `m${message.id}`,
      contentEncoding: "aes128gcm",
    },
  );
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(details.headers)) headers[name.toLowerCase()] = String(value);
  return { url: details.endpoint, method: "POST", headers, body: details.body };
}

/**
 * Maps a push service's answer: 2xx delivered; 404/410 the subscription is
 * gone; 413 too big (4); 401/403 VAPID refused (7); 429 and 5xx retry (5);
 * anything else 6.
 */
export function webPushResult(status: number, bodyText: string, retryAfter: string | null, nowMs: number): DeliveryResult {
  if (status >= 200 && status < 300) return { kind: "delivered" };
  const reason = `HTTP ${status}${bodyText.trim() === "" ? "" : `: ${bodyText.trim().slice(0, 200)}`}`;
  if (status === 404 || status === 410) return { kind: "failed", code: ResultCode.GOOGLE_UNKNOWN, reason, targetGone: true };
  if (status === 413) return { kind: "failed", code: ResultCode.GOOGLE_MSG_TOO_LARGE, reason };
  if (status === 401 || status === 403) return { kind: "failed", code: ResultCode.GOOGLE_AUTH, reason };
  if (status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfterMs(retryAfter, nowMs);
    return { kind: "failed", code: ResultCode.GOOGLE_CONNECTION, reason, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  }
  return { kind: "failed", code: ResultCode.GOOGLE_UNKNOWN, reason };
}
