/**
 * {@link CryptoBackend} on `node:crypto`: synchronous native primitives,
 * several times faster than WebCrypto for small messages.
 *
 * @module
 */
import {
  type Cipher,
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createSecretKey,
  type KeyObject,
  pbkdf2,
  randomFillSync,
} from "node:crypto";
import { type CryptoBackend, pooledRandom, type RandomSource } from "../protocol/crypto.js";

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

const BLOCK = 16;

/**
 * One-shot `crypto.hash`, when this Node has it: its first call in a
 * process costs about half of a first Hash object's, and a one-shot CLI
 * send hashes twice (channel prefix, v1 key). Reached through
 * `process.getBuiltinModule` (Node 20.16+) because an ES import of a name
 * that older Node 20 lacks would fail to load; they use `createHash`.
 */
const oneShotHash = (process.getBuiltinModule?.("node:crypto") as Partial<typeof import("node:crypto")> | undefined)?.hash;

/**
 * One running AES-256-CBC cipher per key. CBC feeds each block through the
 * previous ciphertext block, so a message with its own IV can continue a
 * running stream by folding `iv xor previousCiphertextBlock` into its first
 * plaintext block: the output is exactly AES-256-CBC(key, iv, plaintext).
 * This spares creating a cipher per message, a large part of a v1 seal.
 */
interface CbcStream {
  readonly cipher: Cipher;
  previous: Uint8Array;
}
const cbcStreams = new WeakMap<Uint8Array, CbcStream>();
const inputScratch = Buffer.allocUnsafe(4096);

function cbcEncrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Uint8Array {
  // A partial block would stay buffered in the stream and corrupt every later message.
  if (iv.length !== BLOCK || plaintext.length === 0 || plaintext.length % BLOCK !== 0) throw new Error("plaintext is not whole blocks");
  let stream = cbcStreams.get(key);
  if (!stream) {
    stream = {
      // The raw key: created once per key, this cipher has no use for a KeyObject.
      cipher: createCipheriv("aes-256-cbc", key, new Uint8Array(BLOCK)).setAutoPadding(false),
      previous: new Uint8Array(BLOCK),
    };
    cbcStreams.set(key, stream);
  }
  // The cipher consumes its input before update() returns, so one scratch
  // buffer serves every message of usual size: no allocation for the copy
  // that keeps the caller's plaintext unchanged.
  const input = plaintext.length <= inputScratch.length ? inputScratch.subarray(0, plaintext.length) : Buffer.allocUnsafe(plaintext.length);
  input.set(plaintext);
  for (let i = 0; i < BLOCK; i++) input[i] = (input[i] as number) ^ (iv[i] as number) ^ (stream.previous[i] as number);
  const output = stream.cipher.update(input);
  stream.previous = new Uint8Array(output.subarray(output.length - BLOCK));
  return asBytes(output);
}

/** update() and final() as one array, without a copy when final() is empty (unpadded CBC). */
function finish(update: Buffer, final: Buffer): Uint8Array {
  return asBytes(final.length === 0 ? update : Buffer.concat([update, final]));
}

/**
 * Secure random bytes from `node:crypto`, pooled like `secureRandom`. The
 * client's default: reading `globalThis.crypto` makes Node load its whole
 * WebCrypto implementation, a few milliseconds of a one-shot CLI send.
 */
export const nodeRandom: RandomSource = pooledRandom((bytes) => randomFillSync(bytes));

/** The `node:crypto` backend. */
export const nodeCryptoBackend: CryptoBackend = {
  async sha256(data) {
    return asBytes(oneShotHash !== undefined ? oneShotHash("sha256", data, "buffer") : createHash("sha256").update(data).digest());
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
    return cbcEncrypt(key, iv, plaintext);
  },
  aesCbcEncryptNoPaddingSync: cbcEncrypt,
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
