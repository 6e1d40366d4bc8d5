import assert from "node:assert/strict";
import { createCipheriv, createHash, randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { nodeCryptoBackend } from "../../src/client/node-crypto.js";
import { webCryptoBackend } from "../../src/protocol/crypto.js";

/** AES-256-CBC without padding, straight from node:crypto, as the reference. */
function referenceCbc(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Buffer {
  const cipher = createCipheriv("aes-256-cbc", key, iv).setAutoPadding(false);
  return Buffer.concat([cipher.update(plaintext), cipher.final()]);
}

describe("node:crypto backend", () => {
  test("AES-CBC is exact for any sequence of messages, IVs and keys (the cipher is reused per key)", async () => {
    const keys = [randomBytes(32), randomBytes(32), new Uint8Array(createHash("sha256").update("x").digest())];
    for (let i = 0; i < 300; i++) {
      const key = keys[i % 3] as Uint8Array;
      const iv = randomBytes(16);
      const plaintext = randomBytes(16 * (1 + (i % 90)));
      // Alternate the promise and the synchronous form: they share the running cipher.
      const sealed =
        i % 2 === 0
          ? await nodeCryptoBackend.aesCbcEncryptNoPadding(key, iv, plaintext)
          : (nodeCryptoBackend.aesCbcEncryptNoPaddingSync?.(key, iv, plaintext) ?? assert.fail("no synchronous form"));
      assert.deepEqual(Buffer.from(sealed), referenceCbc(key, iv, plaintext), `message ${i}`);
      assert.deepEqual(await nodeCryptoBackend.aesCbcDecryptNoPadding(key, iv, sealed), new Uint8Array(plaintext));
    }
  });

  test("AES-CBC refuses partial blocks, and later messages are still exact", async () => {
    const key = randomBytes(32);
    const iv = randomBytes(16);
    for (const length of [0, 1, 15, 17, 31]) {
      await assert.rejects(nodeCryptoBackend.aesCbcEncryptNoPadding(key, iv, randomBytes(length)), String(length));
    }
    await assert.rejects(nodeCryptoBackend.aesCbcEncryptNoPadding(key, randomBytes(8), randomBytes(32)));
    const plaintext = randomBytes(64);
    assert.deepEqual(Buffer.from(await nodeCryptoBackend.aesCbcEncryptNoPadding(key, iv, plaintext)), referenceCbc(key, iv, plaintext));
  });

  test("inputs are not changed and outputs are independent of later calls", async () => {
    const key = randomBytes(32);
    const iv = randomBytes(16);
    const plaintext = randomBytes(48);
    const before = Buffer.from(plaintext);
    const first = await nodeCryptoBackend.aesCbcEncryptNoPadding(key, iv, plaintext);
    const copy = Buffer.from(first);
    await nodeCryptoBackend.aesCbcEncryptNoPadding(key, randomBytes(16), randomBytes(48));
    assert.deepEqual(plaintext, before);
    assert.deepEqual(Buffer.from(first), copy);
  });

  test("agrees with the WebCrypto backend on every primitive", async () => {
    const web = webCryptoBackend();
    const key = new Uint8Array(randomBytes(32));
    const iv = new Uint8Array(randomBytes(16));
    const nonce = new Uint8Array(randomBytes(12));
    const data = new Uint8Array(randomBytes(96));
    const aad = new Uint8Array(randomBytes(20));
    assert.deepEqual(await nodeCryptoBackend.sha256(data), await web.sha256(data));
    assert.deepEqual(await nodeCryptoBackend.hmacSha256(key, data), await web.hmacSha256(key, data));
    assert.deepEqual(await nodeCryptoBackend.pbkdf2Sha256(key, data, 1000, 32), await web.pbkdf2Sha256(key, data, 1000, 32));
    const cbc = await nodeCryptoBackend.aesCbcEncryptNoPadding(key, iv, data);
    assert.deepEqual(cbc, await web.aesCbcEncryptNoPadding(key, iv, data));
    assert.deepEqual(await web.aesCbcDecryptNoPadding(key, iv, cbc), data);
    const gcm = await nodeCryptoBackend.aesGcmEncrypt(key, nonce, data, aad);
    assert.deepEqual(gcm, await web.aesGcmEncrypt(key, nonce, data, aad));
    assert.deepEqual(await web.aesGcmDecrypt(key, nonce, gcm, aad), data);
    assert.deepEqual(await nodeCryptoBackend.aesGcmDecrypt(key, nonce, gcm, aad), data);
  });
});
