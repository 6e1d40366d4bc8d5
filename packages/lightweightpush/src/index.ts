/**
 * `lightweightpush`: end-to-end encrypted push messages, AlertR compatible.
 *
 * @example
 * import { LightweightPush } from "lightweightpush";
 * const push = new LightweightPush("my_email@alertr.de", "super_secret_password", "shared_secret_to_encrypt_msg");
 * await push.sendMsg("Subject of Message", "Message text", "MyChannel");
 *
 * @module
 */
export type { Clock } from "./client/clock.js";
export { systemClock } from "./client/clock.js";
export * from "./client/lightweight-push.js";
export { nodeCryptoBackend } from "./client/node-crypto.js";
export { DEFAULT_MAX_RETRIES, retryDelayMs } from "./client/retry.js";
export type { AttemptOptions, NodeTransportOptions, PushReply, PushRequest, Transport } from "./client/transport.js";
export { buildPushRequest, fetchTransport, nodeTransport } from "./client/transport.js";
export * from "./protocol/index.js";
