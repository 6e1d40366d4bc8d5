import assert from "node:assert/strict";
import { createCipheriv, randomBytes, randomUUID } from "node:crypto";
import { describe, test } from "node:test";
import { nodeCryptoBackend } from "../../src/client/node-crypto.js";
import { type CryptoBackend, secureRandom, webCryptoBackend } from "../../src/protocol/crypto.js";
import { fromBase64Url, toBase64Url } from "../../src/protocol/encoding.js";
import { openV1 } from "../../src/protocol/envelope-v1.js";
import { deriveV2Key, isV2, openV2, sealV2, V2_PREFIX } from "../../src/protocol/envelope-v2.js";
import { DecryptionFailedError } from "../../src/protocol/errors.js";
import { buildPayload, openMessage, sealMessage } from "../../src/protocol/message.js";
import { type PushPayload, serializePayload } from "../../src/protocol/payload.js";

const webCrypto = webCryptoBackend();
const BACKENDS = [
  ["node:crypto", nodeCryptoBackend],
  ["WebCrypto", webCrypto],
] as const;

const USERNAME = "my_email@alertr.de";
const CHANNEL = "538113b2_MyChannel";
// A secret of its own per test file run: the key cache is per process, and the counting tests need a cold cache.
const SECRET = `v2 test secret ${randomUUID()}`;

function payload(overrides: Partial<PushPayload> = {}): PushPayload {
  return {
    sbj: "Door",
    msg: "Front door opened. Grüße 😀\n",
    tt: 1764850000,
    is_sa: true,
    st: 1,
    ts: 1764860000,
    id: "00112233445566778899aabbccddeeff",
    ...overrides,
  };
}

/** Asserts the one opaque failure: same class, same message, nothing else to learn. */
async function assertOpaqueFailure(promise: Promise<unknown>, what: string): Promise<void> {
  await assert.rejects(
    promise,
    (error: unknown) => {
      assert.ok(error instanceof DecryptionFailedError, `${what}: ${String(error)}`);
      assert.equal(error.constructor, DecryptionFailedError);
      assert.equal(error.message, "message could not be decrypted");
      assert.equal(error.code, "DECRYPTION_FAILED");
      assert.equal(error.cause, undefined, `${what}: no cause that could tell failures apart`);
      return true;
    },
    what,
  );
}

function countingBackend(inner: CryptoBackend): { backend: CryptoBackend; pbkdf2Calls: () => number } {
  let calls = 0;
  return {
    backend: {
      ...inner,
      pbkdf2Sha256: (...args) => {
        calls++;
        return inner.pbkdf2Sha256(...args);
      },
    },
    pbkdf2Calls: () => calls,
  };
}

describe("envelope v2", () => {
  for (const [sealName, sealWith] of BACKENDS) {
    for (const [openName, openWith] of BACKENDS) {
      test(`round trip: sealed with ${sealName}, opened with ${openName}`, async () => {
        const sent = payload();
        const data = await sealV2(sent, SECRET, USERNAME, CHANNEL, sealWith, secureRandom);
        assert.ok(isV2(data));
        assert.match(data, /^v2\.[A-Za-z0-9_-]+$/);
        assert.deepEqual(await openV2(data, SECRET, USERNAME, CHANNEL, openWith), sent);
        assert.deepEqual(await openMessage(data, CHANNEL, { username: USERNAME, sharedSecret: SECRET, crypto: openWith }), sent);
      });
    }
  }

  test("layout: version byte, key id, 12-byte nonce, body padded to 32 bytes, 16-byte tag", async () => {
    const { keyId } = await deriveV2Key(SECRET, USERNAME, nodeCryptoBackend);
    for (const msg of ["", "x".repeat(100), "y".repeat(1300)]) {
      const sent = payload({ msg });
      const data = await sealV2(sent, SECRET, USERNAME, CHANNEL, nodeCryptoBackend, secureRandom);
      const bytes = fromBase64Url(data.slice(V2_PREFIX.length));
      assert.equal(bytes[0], 0x02);
      assert.deepEqual(bytes.subarray(1, 5), keyId);
      const bodyLength = bytes.length - 1 - 4 - 12 - 16;
      assert.equal(bodyLength % 32, 0);
      assert.ok(bodyLength >= msg.length);
    }
  });

  test("every attempt draws a fresh nonce and id", async () => {
    const input = { subject: "s", message: "m", timeTriggered: 1 };
    const options = {
      username: USERNAME,
      sharedSecret: SECRET,
      prefixedChannel: CHANNEL,
      envelope: 2,
      crypto: nodeCryptoBackend,
      random: secureRandom,
    } as const;
    const first = await sealMessage(input, 2, options);
    const second = await sealMessage(input, 2, options);
    assert.notEqual(first.data, second.data);
    const a = await openV2(first.data, SECRET, USERNAME, CHANNEL, nodeCryptoBackend);
    const b = await openV2(second.data, SECRET, USERNAME, CHANNEL, nodeCryptoBackend);
    assert.match(a.id ?? "", /^[0-9a-f]{32}$/);
    assert.notEqual(a.id, b.id);
    assert.notDeepEqual(fromBase64Url(first.data.slice(3)).subarray(5, 17), fromBase64Url(second.data.slice(3)).subarray(5, 17));
  });

  for (const [name, backend] of BACKENDS) {
    test(`flipping any single byte of the sealed data fails with the one opaque error (${name})`, async () => {
      const data = await sealV2(payload(), SECRET, USERNAME, CHANNEL, backend, secureRandom);
      const bytes = fromBase64Url(data.slice(V2_PREFIX.length));
      for (let position = 0; position < bytes.length; position++) {
        for (const mask of [0x01, 0x80]) {
          const changed = bytes.slice();
          changed[position] = (changed[position] as number) ^ mask;
          await assertOpaqueFailure(
            openV2(V2_PREFIX + toBase64Url(changed), SECRET, USERNAME, CHANNEL, backend),
            `byte ${position} ^ ${mask}`,
          );
        }
      }
    });
  }

  test("cut, extended, re-prefixed or garbled text fails with the one opaque error", async () => {
    const data = await sealV2(payload(), SECRET, USERNAME, CHANNEL, nodeCryptoBackend, secureRandom);
    const variants = {
      truncated: data.slice(0, -1),
      "cut to the header": data.slice(0, 30),
      extended: `${data}A`,
      "v3 prefix": `v3.${data.slice(3)}`,
      "no prefix": data.slice(3),
      "padded base64": `${data}==`,
      "not base64": `${data.slice(0, 10)}!${data.slice(11)}`,
      empty: "",
      "prefix only": V2_PREFIX,
    };
    for (const [what, text] of Object.entries(variants))
      await assertOpaqueFailure(openV2(text, SECRET, USERNAME, CHANNEL, nodeCryptoBackend), what);
  });

  test("a wrong secret, a wrong username or another channel fail with the one opaque error", async () => {
    const data = await sealV2(payload(), SECRET, USERNAME, CHANNEL, nodeCryptoBackend, secureRandom);
    await assertOpaqueFailure(openV2(data, `${SECRET}x`, USERNAME, CHANNEL, nodeCryptoBackend), "wrong secret");
    await assertOpaqueFailure(openV2(data, SECRET, "other@alertr.de", CHANNEL, webCrypto), "wrong username");
    await assertOpaqueFailure(openV2(data, SECRET, USERNAME, "538113b2_OtherChannel", nodeCryptoBackend), "other channel");
    await assertOpaqueFailure(openV2(data, SECRET, USERNAME, "538113b2_MyChannel ", webCrypto), "channel with a trailing space");
    // A v2 message is never mistaken for v1.
    await assertOpaqueFailure(openV1(data, SECRET, nodeCryptoBackend), "v2 data opened as v1");
  });

  test("a payload without a replay id is neither sealed nor opened", async () => {
    const { id: _id, ...withoutId } = payload();
    await assert.rejects(sealV2(withoutId, SECRET, USERNAME, CHANNEL, nodeCryptoBackend, secureRandom), TypeError);
    // Sealed by hand with the right key: authentic, but a receiver could not drop its replays.
    const { key, keyId } = await deriveV2Key(SECRET, USERNAME, nodeCryptoBackend);
    const json = Buffer.from(serializePayload(withoutId).padEnd(96, " "), "latin1");
    const nonce = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", key, nonce);
    cipher.setAAD(Buffer.concat([Buffer.of(2), keyId, Buffer.from(CHANNEL)]));
    const sealed = Buffer.concat([Buffer.of(2), keyId, nonce, cipher.update(json), cipher.final(), cipher.getAuthTag()]);
    const data = V2_PREFIX + sealed.toString("base64url");
    await assertOpaqueFailure(openV2(data, SECRET, USERNAME, CHANNEL, nodeCryptoBackend), "no id");
    // The same construction with an id opens, so the refusal above is about the id.
    const withId = Buffer.from(serializePayload(payload()).padEnd(128, " "), "latin1");
    const cipher2 = createCipheriv("aes-256-gcm", key, nonce);
    cipher2.setAAD(Buffer.concat([Buffer.of(2), keyId, Buffer.from(CHANNEL)]));
    const sealed2 = Buffer.concat([Buffer.of(2), keyId, nonce, cipher2.update(withId), cipher2.final(), cipher2.getAuthTag()]);
    assert.deepEqual(await openV2(V2_PREFIX + sealed2.toString("base64url"), SECRET, USERNAME, CHANNEL, webCrypto), payload());
  });

  test("PBKDF2 runs once per (secret, username), however many messages and concurrent first uses", async () => {
    const { backend, pbkdf2Calls } = countingBackend(nodeCryptoBackend);
    const secret = `counting ${randomUUID()}`;
    const sealed = await Promise.all([1, 2, 3, 4].map(() => sealV2(payload(), secret, USERNAME, CHANNEL, backend, secureRandom)));
    for (const data of sealed) await openV2(data, secret, USERNAME, CHANNEL, backend);
    const viaMessage = await sealMessage({ subject: "s", message: "m", timeTriggered: 1 }, 2, {
      username: USERNAME,
      sharedSecret: secret,
      prefixedChannel: CHANNEL,
      envelope: 2,
      crypto: backend,
      random: secureRandom,
    });
    await openV2(viaMessage.data, secret, USERNAME, CHANNEL, backend);
    assert.equal(pbkdf2Calls(), 1);

    await sealV2(payload(), secret, "other@alertr.de", CHANNEL, backend, secureRandom);
    assert.equal(pbkdf2Calls(), 2, "another username derives another key");
    await sealV2(payload(), `${secret}2`, USERNAME, CHANNEL, backend, secureRandom);
    assert.equal(pbkdf2Calls(), 3, "another secret derives another key");
    await sealV2(payload(), secret, "other@alertr.de", CHANNEL, backend, secureRandom);
    assert.equal(pbkdf2Calls(), 3);
  });

  test("the payload of a sealed message is the v1 payload plus the id", async () => {
    const { payload: built } = buildPayload({ subject: "s", message: "m", timeTriggered: 1 }, 2, "ffeeddccbbaa99887766554433221100");
    const data = await sealV2(built, SECRET, USERNAME, CHANNEL, nodeCryptoBackend, secureRandom);
    assert.deepEqual(await openV2(data, SECRET, USERNAME, CHANNEL, webCrypto), {
      sbj: "s",
      msg: "m",
      tt: 1,
      is_sa: false,
      ts: 2,
      id: "ffeeddccbbaa99887766554433221100",
    });
  });
});
