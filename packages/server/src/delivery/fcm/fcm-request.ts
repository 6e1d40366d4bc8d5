/**
 * FCM HTTP v1 requests as data: the message the AlertR Android app
 * expects, its size check, and the mapping of FCM's answers to the
 * protocol's result codes. Pure: no I/O.
 *
 * @module
 */
import { ResultCode } from "lightweightpush/protocol";
import type { DeliveryResult } from "../delivery-adapter.js";
import { parseRetryAfterMs } from "../retry-policy.js";

/** FCM's limit on a message's data, bytes. */
export const FCM_DATA_LIMIT_BYTES = 4096;

/** The real FCM endpoint. */
export const FCM_DEFAULT_BASE_URL = "https://fcm.googleapis.com";

/** A request ready to send. */
export interface HttpRequestSpec {
  readonly url: string;
  readonly method: "POST";
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * The body FCM gets for one message: a data message on the topic named
 * like the prefixed channel, with high priority so a sleeping phone wakes
 * (exactly what the AlertR app subscribes to and reads).
 */
export function fcmMessageBody(channel: string, payload: string): string {
  return JSON.stringify({ message: { topic: channel, data: { payload }, android: { priority: "high" } } });
}

/**
 * Whether a message fits FCM. FCM counts the data's keys and values against
 * 4096 bytes, and has been seen to count more than that ("Android message
 * is too big" below the documented figure); this check counts the whole
 * `message` object as sent, which is larger than anything FCM counts, so a
 * message that passes is never refused as too big.
 */
export function fitsFcm(channel: string, payload: string): boolean {
  const message = JSON.stringify({ topic: channel, data: { payload }, android: { priority: "high" } });
  return Buffer.byteLength(message, "utf8") <= FCM_DATA_LIMIT_BYTES;
}

/**
 * The `messages:send` request.
 *
 * @example
 * buildFcmRequest({ baseUrl: FCM_DEFAULT_BASE_URL, projectId: "p", accessToken, channel: "538113b2_MyChannel", payload })
 */
export function buildFcmRequest(input: {
  readonly baseUrl: string;
  readonly projectId: string;
  readonly accessToken: string;
  readonly channel: string;
  readonly payload: string;
}): HttpRequestSpec {
  const base = input.baseUrl.replace(/\/+$/, "");
  return {
    url: `${base}/v1/projects/${encodeURIComponent(input.projectId)}/messages:send`,
    method: "POST",
    headers: {
      authorization: `Bearer ${input.accessToken}`,
      "content-type": "application/json; charset=utf-8",
      accept: "application/json",
    },
    body: fcmMessageBody(input.channel, input.payload),
  };
}

interface FcmErrorBody {
  error?: { code?: unknown; message?: unknown; status?: unknown; details?: { errorCode?: unknown }[] };
}

/**
 * Maps an FCM answer to a result: 200 delivered; "message too big" 4;
 * 401/403 authentication 7; 429 and 5xx connection 5 (with `Retry-After`);
 * anything else (other 400s, 404 UNREGISTERED...) 6.
 */
export function fcmResult(status: number, bodyText: string, retryAfter: string | null, nowMs: number): DeliveryResult {
  if (status >= 200 && status < 300) return { kind: "delivered" };
  let message = "";
  let errorCode = "";
  try {
    const body = JSON.parse(bodyText) as FcmErrorBody;
    if (typeof body.error?.message === "string") message = body.error.message;
    const detail = body.error?.details?.find((d) => typeof d?.errorCode === "string");
    errorCode = typeof detail?.errorCode === "string" ? detail.errorCode : typeof body.error?.status === "string" ? body.error.status : "";
  } catch {
    // Not FCM's JSON (a proxy's page, say): the status decides.
  }
  const reason = `HTTP ${status}${errorCode === "" ? "" : ` ${errorCode}`}${message === "" ? "" : `: ${message.slice(0, 200)}`}`;
  const retryAfterMs = parseRetryAfterMs(retryAfter, nowMs);
  const withRetryAfter = retryAfterMs === undefined ? {} : { retryAfterMs };
  if (status === 400 && /too (big|large)/i.test(message)) return { kind: "failed", code: ResultCode.GOOGLE_MSG_TOO_LARGE, reason };
  if (status === 401 || status === 403) return { kind: "failed", code: ResultCode.GOOGLE_AUTH, reason };
  if (status === 429 || status >= 500) return { kind: "failed", code: ResultCode.GOOGLE_CONNECTION, reason, ...withRetryAfter };
  return { kind: "failed", code: ResultCode.GOOGLE_UNKNOWN, reason };
}
