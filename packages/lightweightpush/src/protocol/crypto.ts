/**
 * The small crypto interface the protocol needs. Two implementations exist:
 * {@link webCryptoBackend} (browsers, Deno, Node's `globalThis.crypto`) here,
 * and a faster `node:crypto` one in the client. Keys are raw bytes; an
 * implementation may cache its own key objects per key array.
 *
 * @module
 */

/** Returns `length` cryptographically secure random bytes. */
export type RandomSource = (length: number) => Uint8Array;

/** Primitives used by envelope v1 and v2. Every method may be asynchronous. */
export interface CryptoBackend {
  sha256(data: Uint8Array): Promise<Uint8Array>;
  hmacSha256(key: Uint8Array, data: Uint8Array): Promise<Uint8Array>;
  pbkdf2Sha256(password: Uint8Array, salt: Uint8Array, iterations: number, lengthBytes: number): Promise<Uint8Array>;
  /** AES-256-CBC over a whole number of blocks, without PKCS#7 padding. */
  aesCbcEncryptNoPadding(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array>;
  /**
   * The same, synchronously, where the platform can (`node:crypto`); v1
   * sealing then needs no promise per message, a measurable share of its
   * cost. It must neither change `plaintext` nor keep it, nor return a
   * view of it: the caller reuses that array for the next message.
   */
  aesCbcEncryptNoPaddingSync?(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** Inverse of {@link CryptoBackend.aesCbcEncryptNoPadding}. */
  aesCbcDecryptNoPadding(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array>;
  /** AES-256-GCM; returns ciphertext followed by the 16-byte tag. */
  aesGcmEncrypt(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Promise<Uint8Array>;
  /** Verifies and decrypts ciphertext followed by the tag; rejects on any failure. */
  aesGcmDecrypt(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Promise<Uint8Array>;
}

// One getRandomValues call costs microseconds, as much as the rest of a v1
// seal; so small draws are cut from a pool refilled 4 KiB at a time. Every
// byte is handed out once (as a copy) and never reused.
const POOL_BYTES = 4096;
const MAX_POOLED_DRAW = 64;

/**
 * A {@link RandomSource} that draws small amounts from a pool which `fill`
 * (a cryptographically secure generator writing into the whole array)
 * refills 4 KiB at a time. Lets each runtime plug in its cheapest
 * generator: `node:crypto` avoids loading WebCrypto at start-up.
 */
export function pooledRandom(fill: (bytes: Uint8Array) => void): RandomSource {
  let pool = new Uint8Array(0);
  let poolOffset = 0;
  return (length) => {
    if (length > MAX_POOLED_DRAW) {
      const bytes = new Uint8Array(length);
      fill(bytes);
      return bytes;
    }
    if (poolOffset + length > pool.length) {
      pool = new Uint8Array(POOL_BYTES);
      fill(pool);
      poolOffset = 0;
    }
    const bytes = pool.slice(poolOffset, poolOffset + length);
    pool.fill(0, poolOffset, poolOffset + length);
    poolOffset += length;
    return bytes;
  };
}

/** Random bytes from `globalThis.crypto`, present in browsers and Node 20+. */
export const secureRandom: RandomSource = pooledRandom((bytes) => globalThis.crypto.getRandomValues(bytes));

const BLOCK = 16;

// WebCrypto's typings want ArrayBuffer-backed views; ours always are.
const view = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => bytes as Uint8Array<ArrayBuffer>;

/**
 * {@link CryptoBackend} on WebCrypto (`crypto.subtle`). WebCrypto's AES-CBC
 * always pads, so unpadded CBC is emulated: encryption drops the final
 * padding block, decryption appends a block that decrypts to a full
 * padding block.
 */
export function webCryptoBackend(subtle: SubtleCrypto = globalThis.crypto.subtle): CryptoBackend {
  const keyCache = new WeakMap<Uint8Array, Map<string, Promise<CryptoKey>>>();
  const importKey = (raw: Uint8Array, algorithm: string | HmacImportParams, usage: KeyUsage[]): Promise<CryptoKey> => {
    const label = typeof algorithm === "string" ? algorithm : "HMAC";
    let perKey = keyCache.get(raw);
    if (!perKey) {
      perKey = new Map();
      keyCache.set(raw, perKey);
    }
    let key = perKey.get(label);
    if (!key) {
      key = subtle.importKey("raw", view(raw), algorithm, false, usage);
      perKey.set(label, key);
    }
    return key;
  };
  const cbcKey = (raw: Uint8Array) => importKey(raw, "AES-CBC", ["encrypt", "decrypt"]);

  return {
    async sha256(data) {
      return new Uint8Array(await subtle.digest("SHA-256", view(data)));
    },
    async hmacSha256(key, data) {
      const k = await importKey(key, { name: "HMAC", hash: "SHA-256" }, ["sign"]);
      return new Uint8Array(await subtle.sign("HMAC", k, view(data)));
    },
    async pbkdf2Sha256(password, salt, iterations, lengthBytes) {
      const k = await subtle.importKey("raw", view(password), "PBKDF2", false, ["deriveBits"]);
      const bits = await subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt: view(salt), iterations }, k, lengthBytes * 8);
      return new Uint8Array(bits);
    },
    async aesCbcEncryptNoPadding(key, iv, plaintext) {
      const out = await subtle.encrypt({ name: "AES-CBC", iv: view(iv) }, await cbcKey(key), view(plaintext));
      return new Uint8Array(out, 0, plaintext.length);
    },
    async aesCbcDecryptNoPadding(key, iv, ciphertext) {
      if (ciphertext.length === 0 || ciphertext.length % BLOCK !== 0) throw new Error("ciphertext is not whole blocks");
      const k = await cbcKey(key);
      // E(P_pad xor C_last) is the block that decrypts to sixteen 0x10 bytes.
      const lastBlock = ciphertext.subarray(ciphertext.length - BLOCK);
      const fullPad = new Uint8Array(BLOCK).fill(BLOCK);
      const padBlock = new Uint8Array(await subtle.encrypt({ name: "AES-CBC", iv: view(lastBlock.slice()) }, k, fullPad), 0, BLOCK);
      const extended = new Uint8Array(ciphertext.length + BLOCK);
      extended.set(ciphertext);
      extended.set(padBlock, ciphertext.length);
      return new Uint8Array(await subtle.decrypt({ name: "AES-CBC", iv: view(iv) }, k, extended));
    },
    async aesGcmEncrypt(key, nonce, plaintext, aad) {
      const k = await importKey(key, "AES-GCM", ["encrypt", "decrypt"]);
      return new Uint8Array(await subtle.encrypt({ name: "AES-GCM", iv: view(nonce), additionalData: view(aad) }, k, view(plaintext)));
    },
    async aesGcmDecrypt(key, nonce, sealed, aad) {
      const k = await importKey(key, "AES-GCM", ["encrypt", "decrypt"]);
      return new Uint8Array(await subtle.decrypt({ name: "AES-GCM", iv: view(nonce), additionalData: view(aad) }, k, view(sealed)));
    },
  };
}
