/**
 * Envelope v1, the AlertR format: AES-256-CBC under SHA-256 of the shared
 * secret, no padding, no MAC.
 *
 * @module
 */
import type { CryptoBackend, RandomSource } from "./crypto.js";
import { concatBytes, fromBase64, fromUtf8, toBase64, utf8, writeAscii } from "./encoding.js";
import { DecryptionFailedError } from "./errors.js";
import { KeyCache } from "./key-cache.js";
import { type PushPayload, parsePayload } from "./payload.js";

const BLOCK = 16;
const IV_LENGTH = 16;
const NONCE_LENGTH = 4;
const SPACE = 0x20;

const keys = new KeyCache<Uint8Array>();

function v1Key(sharedSecret: string, crypto: CryptoBackend): Promise<Uint8Array> {
  return keys.get(sharedSecret, () => crypto.sha256(utf8(sharedSecret)));
}

/**
 * nonce || json || spaces, a whole number of blocks, in `into` when given
 * and large enough, else in a new array.
 */
function v1Plaintext(payloadJson: string, nonce: Uint8Array, into?: Uint8Array): Uint8Array {
  const unpadded = NONCE_LENGTH + payloadJson.length;
  const length = Math.ceil(unpadded / BLOCK) * BLOCK;
  const plaintext = into !== undefined && into.length >= length ? into.subarray(0, length) : new Uint8Array(length);
  plaintext.set(nonce);
  writeAscii(payloadJson, plaintext, NONCE_LENGTH);
  plaintext.fill(SPACE, unpadded);
  return plaintext;
}

/**
 * Encrypts a serialised payload (pure ASCII JSON) into the v1 `data`
 * string: `base64(iv || AES-256-CBC(nonce || json || spaces))`.
 */
export async function sealV1(payloadJson: string, sharedSecret: string, crypto: CryptoBackend, random: RandomSource): Promise<string> {
  const key = await v1Key(sharedSecret, crypto);
  const iv = random(IV_LENGTH);
  const plaintext = v1Plaintext(payloadJson, random(NONCE_LENGTH));
  return toBase64(concatBytes(iv, await crypto.aesCbcEncryptNoPadding(key, iv, plaintext)));
}

// The synchronous path seals one message at a time and the backend does not
// keep the plaintext (see CryptoBackend.aesCbcEncryptNoPaddingSync), so one
// scratch array serves every message: allocating and zeroing 1.4 kB per
// message is a measurable share of a v1 seal, garbage collection included.
// Larger messages get their own array.
const SCRATCH_BYTES = 2048;
const scratch = new Uint8Array(IV_LENGTH + SCRATCH_BYTES);
const scratchIv = scratch.subarray(0, IV_LENGTH);
const scratchPlaintext = scratch.subarray(IV_LENGTH);

/**
 * {@link sealV1} without a promise, when the key is already derived and the
 * backend encrypts synchronously; otherwise `undefined` (use `sealV1`).
 * Same randomness draws in the same order, same result.
 */
export function sealV1Now(payloadJson: string, sharedSecret: string, crypto: CryptoBackend, random: RandomSource): string | undefined {
  const key = keys.peek(sharedSecret);
  if (key === undefined || crypto.aesCbcEncryptNoPaddingSync === undefined) return undefined;
  const iv = random(IV_LENGTH);
  const plaintext = v1Plaintext(payloadJson, random(NONCE_LENGTH), scratchPlaintext);
  const ciphertext = crypto.aesCbcEncryptNoPaddingSync(key, iv, plaintext);
  if (ciphertext.length > SCRATCH_BYTES) return toBase64(concatBytes(iv, ciphertext));
  // iv || ciphertext laid out in the scratch array (the plaintext is spent) and encoded from there.
  scratchIv.set(iv);
  scratchPlaintext.set(ciphertext);
  return toBase64(scratch.subarray(0, IV_LENGTH + ciphertext.length));
}

/**
 * Decrypts a v1 `data` string and parses its payload as the AlertR app
 * does. Any failure rejects with {@link DecryptionFailedError}.
 */
export async function openV1(data: string, sharedSecret: string, crypto: CryptoBackend): Promise<PushPayload> {
  try {
    const bytes = fromBase64(data);
    if (bytes.length < IV_LENGTH + BLOCK || bytes.length % BLOCK !== 0) throw new Error("bad length");
    const key = await v1Key(sharedSecret, crypto);
    const plaintext = await crypto.aesCbcDecryptNoPadding(key, bytes.subarray(0, IV_LENGTH), bytes.subarray(IV_LENGTH));
    const payload = parsePayload(fromUtf8(plaintext.subarray(NONCE_LENGTH)));
    if (!payload) throw new Error("bad payload");
    return payload;
  } catch {
    throw new DecryptionFailedError();
  }
}
