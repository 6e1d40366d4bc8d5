/**
 * The Lightweight Push wire protocol: result codes, channels, payloads,
 * envelopes v1 and v2, frames and replies. Pure and runtime-neutral: the
 * same code seals in Node and opens in the browser, given a
 * {@link CryptoBackend}.
 *
 * @example
 * import { openMessage, webCryptoBackend } from "lightweightpush/protocol";
 * const payload = await openMessage(data, "538113b2_MyChannel", {
 *   username: "my_email@alertr.de", sharedSecret: "secret", crypto: webCryptoBackend(),
 * });
 *
 * @module
 */
export * from "./channel.js";
export * from "./codes.js";
export type { CryptoBackend, RandomSource } from "./crypto.js";
export { secureRandom, webCryptoBackend } from "./crypto.js";
export { fromBase64, fromBase64Url, fromHex, toBase64, toBase64Url, toHex } from "./encoding.js";
export { openV1, sealV1 } from "./envelope-v1.js";
export { deriveV2Key, isV2, newMessageId, openV2, sealV2, V2_PBKDF2_ITERATIONS, V2_PREFIX } from "./envelope-v2.js";
export * from "./errors.js";
export * from "./frame.js";
export * from "./message.js";
export * from "./payload.js";
export { pythonJsonDumps, pythonJsonString } from "./python-json.js";
export * from "./truncate.js";
