/**
 * {@link CryptoBackend} on `node:crypto`: synchronous native primitives,
 * several times faster than WebCrypto for small messages.
 *
 * @module
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, createSecretKey, type KeyObject, pbkdf2 } from "node:crypto";
import type { CryptoBackend } from "../protocol/crypto.js";

const asBytes = (buffer: Buffer): Uint8Array => new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length);

// Importing raw key bytes is a good part of the cost of createCipheriv; the
// protocol passes the same cached key array for every message, so keep one
// KeyObject per array.
const keyObjects = new WeakMap<Uint8Array, KeyObject>();
function keyObject(raw: Uint8Array): KeyObject {
  let key = keyObjects.get(raw);
  if (!key) {
    key = createSecretKey(raw);
    keyObjects.set(raw, key);
  }
  return key;
}

/** update() and final() as one array, without a copy when final() is empty (unpadded CBC). */
function finish(update: Buffer, final: Buffer): Uint8Array {
  return asBytes(final.length === 0 ? update : Buffer.concat([update, final]));
}

/** The `node:crypto` backend. */
export const nodeCryptoBackend: CryptoBackend = {
  async sha256(data) {
    return asBytes(createHash("sha256").update(data).digest());
  },
  async hmacSha256(key, data) {
    return asBytes(createHmac("sha256", key).update(data).digest());
  },
  pbkdf2Sha256(password, salt, iterations, lengthBytes) {
    return new Promise((resolve, reject) => {
      pbkdf2(password, salt, iterations, lengthBytes, "sha256", (error, key) => (error ? reject(error) : resolve(asBytes(key))));
    });
  },
  async aesCbcEncryptNoPadding(key, iv, plaintext) {
    const cipher = createCipheriv("aes-256-cbc", keyObject(key), iv).setAutoPadding(false);
    return finish(cipher.update(plaintext), cipher.final());
  },
  async aesCbcDecryptNoPadding(key, iv, ciphertext) {
    const decipher = createDecipheriv("aes-256-cbc", keyObject(key), iv).setAutoPadding(false);
    return finish(decipher.update(ciphertext), decipher.final());
  },
  async aesGcmEncrypt(key, nonce, plaintext, aad) {
    const cipher = createCipheriv("aes-256-gcm", keyObject(key), nonce);
    cipher.setAAD(aad);
    return asBytes(Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]));
  },
  async aesGcmDecrypt(key, nonce, sealed, aad) {
    if (sealed.length < 16) throw new Error("sealed data too short");
    const decipher = createDecipheriv("aes-256-gcm", keyObject(key), nonce);
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    return asBytes(Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]));
  },
};
