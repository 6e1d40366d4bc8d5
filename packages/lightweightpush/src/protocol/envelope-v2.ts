/**
 * Envelope v2, this project's authenticated format: AES-256-GCM under a
 * PBKDF2 key salted with the username, the prefixed channel bound in as
 * associated data, and a random id in the payload for replay detection.
 *
 * @module
 */
import type { CryptoBackend, RandomSource } from "./crypto.js";
import { concatBytes, fromBase64Url, fromUtf8, toBase64Url, toHex, utf8, writeAscii } from "./encoding.js";
import { DecryptionFailedError } from "./errors.js";
import { KeyCache } from "./key-cache.js";
import { type PushPayload, parsePayload, serializePayload } from "./payload.js";

/** Prefix of every v2 `data` string. */
export const V2_PREFIX = "v2.";
/** PBKDF2-HMAC-SHA256 iterations. */
export const V2_PBKDF2_ITERATIONS = 600_000;

const VERSION_BYTE = 0x02;
const KEY_ID_LENGTH = 4;
const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;
const BODY_BLOCK = 32;
const SPACE = 0x20;
const HEADER_LENGTH = 1 + KEY_ID_LENGTH + NONCE_LENGTH;
const ID_LENGTH = 16;

interface V2Key {
  readonly key: Uint8Array;
  readonly keyId: Uint8Array;
}

const keys = new KeyCache<V2Key>();

/**
 * Derives (once per process for each secret and username) the v2 key and
 * its 4-byte key id.
 */
export function deriveV2Key(sharedSecret: string, username: string, crypto: CryptoBackend): Promise<V2Key> {
  return keys.get(`${username}\u0000${sharedSecret}`, async () => {
    const salt = utf8(`lightweight-push/v2/${username}`);
    const key = await crypto.pbkdf2Sha256(utf8(sharedSecret), salt, V2_PBKDF2_ITERATIONS, 32);
    const keyId = (await crypto.hmacSha256(key, utf8("key-id"))).slice(0, KEY_ID_LENGTH);
    return { key, keyId };
  });
}

function associatedData(keyId: Uint8Array, prefixedChannel: string): Uint8Array {
  return concatBytes(Uint8Array.of(VERSION_BYTE), keyId, utf8(prefixedChannel));
}

/** Whether a `data` string is a v2 envelope. */
export function isV2(data: string): boolean {
  return data.startsWith(V2_PREFIX);
}

/** A fresh replay-detection id: 16 random bytes as hex. */
export function newMessageId(random: RandomSource): string {
  return toHex(random(ID_LENGTH));
}

/**
 * Seals a payload (which must carry an `id`) for one prefixed channel.
 * `payloadJson` may pass the payload's serialisation when the caller
 * already has it.
 */
export async function sealV2(
  payload: PushPayload,
  sharedSecret: string,
  username: string,
  prefixedChannel: string,
  crypto: CryptoBackend,
  random: RandomSource,
  payloadJson?: string,
): Promise<string> {
  if (payload.id === undefined) throw new TypeError("a v2 payload needs an id");
  const { key, keyId } = await deriveV2Key(sharedSecret, username, crypto);
  const json = payloadJson ?? serializePayload(payload);
  const body = new Uint8Array(Math.ceil(json.length / BODY_BLOCK) * BODY_BLOCK).fill(SPACE);
  writeAscii(json, body, 0);
  const nonce = random(NONCE_LENGTH);
  const sealed = await crypto.aesGcmEncrypt(key, nonce, body, associatedData(keyId, prefixedChannel));
  return V2_PREFIX + toBase64Url(concatBytes(Uint8Array.of(VERSION_BYTE), keyId, nonce, sealed));
}

/**
 * Verifies and opens a v2 `data` string sent on `prefixedChannel`. Any
 * failure (wrong secret, username or channel, a changed byte, a payload
 * without id) rejects with {@link DecryptionFailedError}.
 */
export async function openV2(
  data: string,
  sharedSecret: string,
  username: string,
  prefixedChannel: string,
  crypto: CryptoBackend,
): Promise<PushPayload> {
  try {
    if (!isV2(data)) throw new Error("not v2");
    const bytes = fromBase64Url(data.slice(V2_PREFIX.length));
    if (bytes.length < HEADER_LENGTH + TAG_LENGTH || bytes[0] !== VERSION_BYTE) throw new Error("bad header");
    const { key, keyId } = await deriveV2Key(sharedSecret, username, crypto);
    const receivedKeyId = bytes.subarray(1, 1 + KEY_ID_LENGTH);
    if (!receivedKeyId.every((b, i) => b === keyId[i])) throw new Error("unknown key id");
    const nonce = bytes.subarray(1 + KEY_ID_LENGTH, HEADER_LENGTH);
    const body = await crypto.aesGcmDecrypt(key, nonce, bytes.subarray(HEADER_LENGTH), associatedData(keyId, prefixedChannel));
    const payload = parsePayload(fromUtf8(body));
    if (!payload || payload.id === undefined) throw new Error("bad payload");
    return payload;
  } catch {
    throw new DecryptionFailedError();
  }
}
