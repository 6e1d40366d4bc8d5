/**
 * Delivery to browsers through their push services (Web Push): one
 * request per (message, subscription) from the outbox.
 *
 * @module
 */
import { ResultCode } from "lightweightpush/protocol";
import type { DeliveryAdapter, DeliveryJob, DeliveryResult } from "../delivery-adapter.js";
import { describeFetchError } from "../fcm/fcm-sender.js";
import { buildWebPushRequest, VapidAuthorizations, type WebPushRequestSettings, webPushResult } from "./web-push-request.js";

/** Settings of {@link WebPushSender}. */
export interface WebPushSenderOptions extends WebPushRequestSettings {
  /** Per-request timeout, ms. @default 30000 */
  readonly timeoutMs?: number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** @default Date.now */
  readonly now?: () => number;
}

/** The Web Push {@link DeliveryAdapter}. */
export class WebPushSender implements DeliveryAdapter {
  readonly name = "webpush" as const;
  readonly #o: WebPushSenderOptions;
  readonly #fetch: typeof fetch;
  readonly #authorizations: VapidAuthorizations;

  constructor(options: WebPushSenderOptions) {
    this.#o = options;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#authorizations = new VapidAuthorizations(options);
  }

  async deliver(job: DeliveryJob): Promise<DeliveryResult> {
    const subscription = job.subscription;
    if (subscription === undefined) return { kind: "failed", code: ResultCode.GOOGLE_UNKNOWN, reason: "no subscription", targetGone: true };
    let request: ReturnType<typeof buildWebPushRequest>;
    try {
      request = buildWebPushRequest(subscription, job.message, this.#o, this.#authorizations);
    } catch (error) {
      // Keys the library cannot use (checked on subscribe, so only from an old row): the subscription is useless.
      return { kind: "failed", code: ResultCode.GOOGLE_UNKNOWN, reason: `cannot encrypt: ${(error as Error).message}`, targetGone: true };
    }
    try {
      const response = await this.#fetch(request.url, {
        method: request.method,
        headers: request.headers,
        body: Uint8Array.from(request.body),
        redirect: "manual",
        signal: AbortSignal.timeout(this.#o.timeoutMs ?? 30_000),
      });
      const bodyText = await response.text();
      return webPushResult(response.status, bodyText, response.headers.get("retry-after"), (this.#o.now ?? Date.now)());
    } catch (error) {
      // The endpoint URL is a capability: it stays out of the reason.
      return { kind: "failed", code: ResultCode.GOOGLE_CONNECTION, reason: `cannot reach the push service: ${describeFetchError(error)}` };
    }
  }
}
