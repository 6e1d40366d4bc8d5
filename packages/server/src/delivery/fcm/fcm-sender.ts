/**
 * Delivery to Firebase Cloud Messaging (HTTP v1): each accepted message
 * becomes a data message on the topic of its prefixed channel, which the
 * AlertR Android app subscribes to.
 *
 * @module
 */
import { ResultCode } from "lightweightpush/protocol";
import type { DeliveryAdapter, DeliveryJob, DeliveryResult } from "../delivery-adapter.js";
import { AccessTokenError, type FcmAccessTokens } from "./fcm-access-token.js";
import { buildFcmRequest, FCM_DEFAULT_BASE_URL, fcmResult } from "./fcm-request.js";

/** Settings of {@link FcmSender}. */
export interface FcmSenderOptions {
  readonly projectId: string;
  readonly tokens: FcmAccessTokens;
  /** @default "https://fcm.googleapis.com" */
  readonly baseUrl?: string;
  /** Per-request timeout, ms. @default 30000 */
  readonly timeoutMs?: number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** @default Date.now */
  readonly now?: () => number;
}

/** The FCM {@link DeliveryAdapter}. */
export class FcmSender implements DeliveryAdapter {
  readonly name = "fcm" as const;
  readonly #o: FcmSenderOptions;
  readonly #fetch: typeof fetch;

  constructor(options: FcmSenderOptions) {
    this.#o = options;
    this.#fetch = options.fetch ?? globalThis.fetch;
  }

  async deliver(job: DeliveryJob): Promise<DeliveryResult> {
    let accessToken: string;
    try {
      accessToken = await this.#o.tokens.get();
    } catch (error) {
      const kind = error instanceof AccessTokenError ? error.kind : "connection";
      return {
        kind: "failed",
        code: kind === "auth" ? ResultCode.GOOGLE_AUTH : ResultCode.GOOGLE_CONNECTION,
        reason: (error as Error).message,
      };
    }
    const request = buildFcmRequest({
      baseUrl: this.#o.baseUrl ?? FCM_DEFAULT_BASE_URL,
      projectId: this.#o.projectId,
      accessToken,
      channel: job.message.channel,
      payload: job.message.payload,
    });
    let status: number;
    let bodyText: string;
    let retryAfter: string | null;
    try {
      const response = await this.#fetch(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal: AbortSignal.timeout(this.#o.timeoutMs ?? 30_000),
      });
      status = response.status;
      retryAfter = response.headers.get("retry-after");
      bodyText = await response.text();
    } catch (error) {
      return { kind: "failed", code: ResultCode.GOOGLE_CONNECTION, reason: `cannot reach FCM: ${describeFetchError(error)}` };
    }
    // A rejected token (revoked, or expired early) must not be reused on the retry.
    if (status === 401) this.#o.tokens.invalidate();
    return fcmResult(status, bodyText, retryAfter, (this.#o.now ?? Date.now)());
  }
}

/** The cause of a fetch failure without the URL (which could carry a secret in other adapters). */
export function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === "string") return cause.code;
  if ((error as Error).name === "TimeoutError") return "timeout";
  return (error as Error).message ?? String(error);
}
