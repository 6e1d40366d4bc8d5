/**
 * The contract between the outbox and one delivery path (FCM, Web Push):
 * an adapter makes one attempt and says how it went, in the protocol's
 * result codes; the outbox decides about retries.
 *
 * @module
 */
import type { AdapterName, OutboxJob, OutboxMessage, WebPushSubscription } from "./delivery-store.js";

/** How one attempt went. */
export type DeliveryResult =
  | { readonly kind: "delivered" }
  | {
      readonly kind: "failed";
      /**
       * Protocol result code (`lightweightpush/protocol` `ResultCode`): 4 too
       * big, 5 connection/429/5xx, 6 other, 7 authentication. Retryable codes
       * (per the shared table) are retried from the outbox.
       */
      readonly code: number;
      /** For logs: status and the service's error, never a payload or secret. */
      readonly reason: string;
      /** The service's `Retry-After`, ms. */
      readonly retryAfterMs?: number;
      /** The target no longer exists (Web Push 404/410): remove it, do not retry. */
      readonly targetGone?: boolean;
    };

/** A job the outbox hands to an adapter: the message is present, and the subscription too for Web Push. */
export interface DeliveryJob extends OutboxJob {
  readonly message: OutboxMessage;
}

/** One delivery path. */
export interface DeliveryAdapter {
  readonly name: AdapterName;
  /** Makes one attempt; resolves with the outcome and never rejects. */
  deliver(job: DeliveryJob & { readonly subscription: WebPushSubscription | undefined }): Promise<DeliveryResult>;
}
