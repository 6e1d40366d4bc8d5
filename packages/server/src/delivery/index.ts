/**
 * Delivery of accepted messages to Firebase Cloud Messaging (phones running
 * the AlertR app) and to browsers through Web Push, from a durable outbox.
 *
 * @example
 * import { createDeliveryExtension } from "./delivery/index.js";
 * const server = await createServer(config, { extensions: [createDeliveryExtension()] });
 *
 * @module
 */
export type { DeliveryAdapter, DeliveryJob, DeliveryResult } from "./delivery-adapter.js";
export {
  createDeliveryExtension,
  DEFAULT_VAPID_SUBJECT,
  type DeliveryExtension,
  type DeliveryExtensionOptions,
} from "./delivery-extension.js";
export { DeliveryMetrics } from "./delivery-metrics.js";
export type { AdapterName, DeliveryStore, OutboxJob, OutboxMessage, WebPushSubscription } from "./delivery-store.js";
export { FCM_SCOPE, FcmAccessTokens, GOOGLE_TOKEN_URL, readServiceAccount, type ServiceAccount } from "./fcm/fcm-access-token.js";
export { buildFcmRequest, FCM_DATA_LIMIT_BYTES, fcmMessageBody, fcmResult, fitsFcm } from "./fcm/fcm-request.js";
export { FcmSender } from "./fcm/fcm-sender.js";
export { type DeliveryLog, OutboxWorker } from "./outbox-worker.js";
export { type DeliveryClock, defaultRetryPolicy, type RetryPolicy, retryDelayMs, systemClock } from "./retry-policy.js";
export { openSqliteDeliveryStore, SqliteDeliveryStore } from "./sqlite-delivery-store.js";
export { isAllowedEndpoint, registerWebPushRoutes, WEB_PUSH_PATHS } from "./web-push/subscription-routes.js";
export { loadOrCreateVapidKeys, VAPID_KEYS_FILE_NAME, type VapidKeys } from "./web-push/vapid-keys.js";
export { buildWebPushRequest, WEB_PUSH_MAX_PLAINTEXT_BYTES, webPushPayload, webPushResult } from "./web-push/web-push-request.js";
export { WebPushSender } from "./web-push/web-push-sender.js";
