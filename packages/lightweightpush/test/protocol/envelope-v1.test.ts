import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { nodeCryptoBackend } from "../../src/client/node-crypto.js";
import { secureRandom, webCryptoBackend } from "../../src/protocol/crypto.js";
import { fromHex } from "../../src/protocol/encoding.js";
import { openV1, sealV1, sealV1Now } from "../../src/protocol/envelope-v1.js";
import { DecryptionFailedError } from "../../src/protocol/errors.js";
import { openMessage } from "../../src/protocol/message.js";
import { type PushPayload, serializePayload } from "../../src/protocol/payload.js";

const webCrypto = webCryptoBackend();
const BACKENDS = [
  ["node:crypto", nodeCryptoBackend],
  ["WebCrypto", webCrypto],
] as const;

interface Post {
  readonly frame: { readonly data: string };
  readonly plaintextHex: string;
}
interface VectorCase {
  readonly name: string;
  readonly input: { readonly sharedSecret: string };
  readonly random: { readonly iv: string; readonly internalIv: string };
  readonly expected: { readonly posts: Post[] };
}
const cases = (
  JSON.parse(readFileSync(new URL("../../../../../shared/vectors/v1-reference.json", import.meta.url), "utf8")) as { cases: VectorCase[] }
).cases;

const SECRET = "shared_secret_to_encrypt_msg";
const sample: PushPayload = { sbj: "Grüße", msg: "line\n😀 ".repeat(40), tt: 1, is_sa: true, st: 0, ts: 2 };

describe("envelope v1", () => {
  for (const [name, backend] of BACKENDS) {
    test(`sealing the reference plaintexts with the reference randomness gives the reference data byte for byte (${name})`, async () => {
      let checked = 0;
      for (const vector of cases) {
        const post = vector.expected.posts[0];
        if (!post) continue;
        // plaintextHex = nonce (4 bytes) || JSON || space padding.
        const json = Buffer.from(post.plaintextHex.slice(8), "hex").toString("latin1").trimEnd();
        const draws: Record<number, Uint8Array> = { 16: fromHex(vector.random.iv), 4: fromHex(vector.random.internalIv) };
        const data = await sealV1(json, vector.input.sharedSecret, backend, (length) => draws[length] ?? new Uint8Array(length));
        assert.equal(data, post.frame.data, vector.name);
        checked++;
      }
      assert.ok(checked >= 20);
    });
  }

  for (const [sealName, sealWith] of BACKENDS) {
    for (const [openName, openWith] of BACKENDS) {
      test(`round trip: sealed with ${sealName}, opened with ${openName}`, async () => {
        const data = await sealV1(serializePayload(sample), SECRET, sealWith, secureRandom);
        assert.deepEqual(await openV1(data, SECRET, openWith), sample);
        assert.deepEqual(await openMessage(data, "any", { username: "u", sharedSecret: SECRET, crypto: openWith }), sample);
      });
    }
  }

  test("the promise-free path seals exactly as sealV1, and only once the key is derived, on a synchronous backend", async () => {
    const secret = `fresh ${randomUUID()}`;
    const json = serializePayload(sample);
    const fixed = (length: number) => new Uint8Array(length).fill(length);
    assert.equal(sealV1Now(json, secret, nodeCryptoBackend, fixed), undefined, "key not derived yet");
    const viaPromise = await sealV1(json, secret, nodeCryptoBackend, fixed);
    assert.equal(sealV1Now(json, secret, nodeCryptoBackend, fixed), viaPromise);
    assert.equal(sealV1Now(json, secret, webCrypto, fixed), undefined, "WebCrypto has no synchronous cipher");
    assert.deepEqual(await openV1(viaPromise, secret, webCrypto), sample);
  });

  test("a wrong secret, bad base64, a wrong length or garbage fail with the one opaque error", async () => {
    const data = await sealV1(serializePayload(sample), SECRET, nodeCryptoBackend, secureRandom);
    const failures = {
      "wrong secret": [data, "another secret"],
      "not base64": ["***", SECRET],
      "not whole blocks": [data.slice(0, 40), SECRET],
      "iv only": [Buffer.alloc(16).toString("base64"), SECRET],
      empty: ["", SECRET],
      "base64 with a line break": [`${data.slice(0, 20)}\n${data.slice(20)}`, SECRET],
    } as const;
    for (const [name, backend] of BACKENDS) {
      for (const [what, [text, secret]] of Object.entries(failures)) {
        await assert.rejects(openV1(text, secret, backend), (error: unknown) => {
          assert.ok(error instanceof DecryptionFailedError, `${what} (${name})`);
          assert.equal(error.message, "message could not be decrypted");
          return true;
        });
      }
    }
  });
});
