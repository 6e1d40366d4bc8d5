/**
 * The committed envelope v2 vectors (made by scripts/make-v2-vectors.ts):
 * the implementation must seal them byte for byte and open them, on both
 * crypto backends.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { nodeCryptoBackend } from "../../src/client/node-crypto.js";
import { prefixedChannel } from "../../src/protocol/channel.js";
import { webCryptoBackend } from "../../src/protocol/crypto.js";
import { fromHex, toHex, utf8 } from "../../src/protocol/encoding.js";
import { deriveV2Key, openV2, V2_PBKDF2_ITERATIONS } from "../../src/protocol/envelope-v2.js";
import { type MessageInput, openMessage, sealMessage } from "../../src/protocol/message.js";
import { type MessageState, type PushPayload, serializePayload } from "../../src/protocol/payload.js";

interface V2Vector {
  readonly name: string;
  readonly input: {
    readonly username: string;
    readonly sharedSecret: string;
    readonly channel: string;
    readonly subject: string;
    readonly message: string;
    readonly state: MessageState | null;
    readonly timeTriggered: number;
    readonly timeSent: number;
  };
  readonly random: { readonly id: string; readonly nonce: string };
  readonly prefixedChannel: string;
  readonly keyHex: string;
  readonly keyIdHex: string;
  readonly truncated: boolean;
  readonly payloadJson: string;
  readonly expected: { readonly data: string; readonly payload: PushPayload };
}

const vectors = (JSON.parse(readFileSync(new URL("v2-vectors.json", import.meta.url), "utf8")) as { cases: V2Vector[] }).cases;
const webCrypto = webCryptoBackend();

describe("v2 vectors", () => {
  assert.ok(vectors.length >= 5);

  for (const vector of vectors) {
    test(vector.name, async () => {
      const { input } = vector;
      assert.equal(await prefixedChannel(input.username, input.channel, nodeCryptoBackend), vector.prefixedChannel);

      // The key through the library's derivation and, uncached, through WebCrypto's PBKDF2.
      const { key, keyId } = await deriveV2Key(input.sharedSecret, input.username, nodeCryptoBackend);
      assert.equal(toHex(key), vector.keyHex);
      assert.equal(toHex(keyId), vector.keyIdHex);
      const salt = utf8(`lightweight-push/v2/${input.username}`);
      assert.equal(toHex(await webCrypto.pbkdf2Sha256(utf8(input.sharedSecret), salt, V2_PBKDF2_ITERATIONS, 32)), vector.keyHex);

      const messageInput: MessageInput = {
        subject: input.subject,
        message: input.message,
        timeTriggered: input.timeTriggered,
        ...(input.state !== null ? { state: input.state } : {}),
      };
      for (const crypto of [nodeCryptoBackend, webCrypto]) {
        const draws: Record<number, Uint8Array> = { 16: fromHex(vector.random.id), 12: fromHex(vector.random.nonce) };
        const sealed = await sealMessage(messageInput, input.timeSent, {
          username: input.username,
          sharedSecret: input.sharedSecret,
          prefixedChannel: vector.prefixedChannel,
          envelope: 2,
          crypto,
          random: (length) => {
            const bytes = draws[length];
            assert.ok(bytes, `unexpected draw of ${length} bytes`);
            return bytes;
          },
        });
        assert.equal(sealed.data, vector.expected.data, "sealed byte for byte");
        assert.equal(sealed.truncated, vector.truncated);

        const opened = await openV2(vector.expected.data, input.sharedSecret, input.username, vector.prefixedChannel, crypto);
        assert.deepEqual(opened, vector.expected.payload);
        assert.equal(serializePayload(opened), vector.payloadJson);
        const options = { username: input.username, sharedSecret: input.sharedSecret, crypto };
        assert.deepEqual(await openMessage(vector.expected.data, vector.prefixedChannel, options), vector.expected.payload);
      }
    });
  }
});
