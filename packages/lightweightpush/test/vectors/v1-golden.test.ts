/**
 * Every case of the reference vectors (`shared/vectors/v1-reference.json`),
 * replayed through the real client against a local HTTP server with the
 * reference's randomness and clock injected.
 */
import assert from "node:assert/strict";
import { createDecipheriv, createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { LightweightPush, type SendOptions, type SendReceipt } from "../../src/client/lightweight-push.js";
import { nodeCryptoBackend } from "../../src/client/node-crypto.js";
import { webCryptoBackend } from "../../src/protocol/crypto.js";
import { fromBase64, fromHex, toHex } from "../../src/protocol/encoding.js";
import { openV1 } from "../../src/protocol/envelope-v1.js";
import { InvalidInputError, SendError } from "../../src/protocol/errors.js";
import type { MessageState, PushPayload } from "../../src/protocol/payload.js";
import { pythonJsonString } from "../../src/protocol/python-json.js";
import { encodedLength, MAX_ENCODED_TEXT_LENGTH, TRUNCATION_MARKER } from "../../src/protocol/truncate.js";
import { type ScriptedReply, startLocalPushServer } from "../client/support/local-push-server.js";
import { ManualClock, scriptedRandom } from "../client/support/manual-clock.js";

interface VectorCase {
  readonly name: string;
  readonly input: {
    readonly username: string;
    readonly password: string;
    readonly sharedSecret: string;
    readonly subject: string;
    readonly message: string;
    readonly channel: string;
    readonly state: number | null;
    readonly timeTriggered: number | null;
    readonly maxRetries: number;
    readonly responses: ScriptedReply[];
  };
  readonly clockStart: number;
  readonly random: { readonly iv: string; readonly internalIv: string };
  readonly expected: {
    readonly returnCode: number | null;
    readonly valueError: string | null;
    readonly sleeps: number[];
    readonly posts: {
      readonly url: string;
      readonly formData: string;
      readonly frame: { username: string; password: string; channel: string; version: number; data: string };
      readonly plaintextHex: string;
      readonly payload: PushPayload;
    }[];
  };
}

// The shared directory sits beside the repository (in CI too).
const vectorsFile = new URL("../../../../../shared/vectors/v1-reference.json", import.meta.url);
const cases = (JSON.parse(readFileSync(vectorsFile, "utf8")) as { cases: VectorCase[] }).cases;

/** Cases where the reference over-cuts and this project must keep more text (PROTOCOL.md, "Size limit and truncation"). */
const KEEPS_MORE_THAN_REFERENCE = new Set(["trunc-message-escaped", "trunc-emoji"]);

const webCrypto = webCryptoBackend();

/** The plaintext of a v1 `data` string, decrypted independently of the library. */
function decryptRaw(data: string, sharedSecret: string): Buffer {
  const bytes = Buffer.from(data, "base64");
  const key = createHash("sha256").update(sharedSecret, "utf8").digest();
  const decipher = createDecipheriv("aes-256-cbc", key, bytes.subarray(0, 16)).setAutoPadding(false);
  return Buffer.concat([decipher.update(bytes.subarray(16)), decipher.final()]);
}

/** How much of `original` a (possibly truncated) field kept, in code units. */
function keptLength(field: string, original: string): number {
  if (field === original) return original.length;
  assert.ok(field.endsWith(TRUNCATION_MARKER), `a cut field ends with the marker: ${JSON.stringify(field.slice(-20))}`);
  const prefix = field.slice(0, -TRUNCATION_MARKER.length);
  assert.ok(original.startsWith(prefix), "a cut field is a prefix of the original plus the marker");
  const last = prefix.charCodeAt(prefix.length - 1);
  assert.ok(!(last >= 0xd800 && last <= 0xdbff), "the cut never splits a surrogate pair");
  // The encoded prefix is a prefix of the encoded original: no escape was split.
  assert.ok(pythonJsonString(original).startsWith(pythonJsonString(prefix).slice(0, -1)));
  return prefix.length;
}

function isHighSurrogateAt(text: string, index: number): boolean {
  const unit = text.charCodeAt(index);
  return unit >= 0xd800 && unit <= 0xdbff;
}

describe("v1 reference vectors", () => {
  assert.ok(cases.length >= 30, "the vector file was read");

  for (const vector of cases) {
    test(vector.name, async () => {
      const { input, expected } = vector;
      const server = await startLocalPushServer({ replies: input.responses });
      try {
        const clock = new ManualClock(vector.clockStart * 1000);
        const random = scriptedRandom({ 16: fromHex(vector.random.iv), 4: fromHex(vector.random.internalIv) });
        const push = new LightweightPush(input.username, input.password, input.sharedSecret, { endpoint: server.endpoint, clock, random });
        const options: SendOptions = {
          maxRetries: input.maxRetries,
          ...(input.state !== null ? { state: input.state as MessageState } : {}),
          ...(input.timeTriggered !== null ? { timeTriggered: input.timeTriggered } : {}),
        };
        const outcome = await push.sendMsg(input.subject, input.message, input.channel, options).then(
          (receipt: SendReceipt) => ({ receipt, error: undefined }),
          (error: unknown) => ({ receipt: undefined, error }),
        );

        if (expected.valueError !== null) {
          assert.ok(outcome.error instanceof InvalidInputError, `rejected as invalid input: ${String(outcome.error)}`);
          assert.equal(outcome.error.message, expected.valueError);
          assert.equal(server.requests.length, 0, "nothing was sent");
          return;
        }

        // Final code, number of requests and waits.
        if (expected.returnCode === 0) {
          assert.equal(outcome.error, undefined);
          assert.equal(outcome.receipt?.attempts, expected.posts.length);
        } else {
          assert.ok(outcome.error instanceof SendError, `rejected with SendError: ${String(outcome.error)}`);
          assert.equal(outcome.error.code, expected.returnCode);
          assert.equal(outcome.error.attempts, expected.posts.length);
        }
        assert.equal(server.requests.length, expected.posts.length, "number of requests");
        assert.deepEqual(clock.sleepsSeconds, expected.sleeps, "back-off waits");

        const keepsMore = KEEPS_MORE_THAN_REFERENCE.has(vector.name);
        const first = expected.posts[0];
        assert.ok(first);
        if (!keepsMore) assert.equal(server.requests[0]?.frame, first.formData, "the first post is byte-exact");

        const expectedPath = new URL(first.url).pathname;
        const seenIvs = new Set<string>();
        const seenNonces = new Set<string>();
        for (const [index, post] of expected.posts.entries()) {
          const request = server.requests[index];
          assert.ok(request);
          assert.equal(request.method, "POST");
          assert.equal(request.path, expectedPath);
          assert.equal(request.contentType, "application/x-www-form-urlencoded");
          assert.ok(request.frame !== null);
          assert.match(request.frame, /, "version": 0\.1, "data": "/, "version is written as the float 0.1");
          const frame = JSON.parse(request.frame) as VectorCase["expected"]["posts"][number]["frame"];
          assert.deepEqual(Object.keys(frame), ["username", "password", "channel", "version", "data"]);
          assert.equal(frame.username, post.frame.username);
          assert.equal(frame.password, post.frame.password);
          assert.equal(frame.channel, post.frame.channel);
          assert.equal(frame.version, 0.1);

          // Fresh randomness for every attempt (the reference reuses its draws).
          const iv = toHex(fromBase64(frame.data).subarray(0, 16));
          const plaintext = decryptRaw(frame.data, input.sharedSecret);
          const nonce = plaintext.subarray(0, 4).toString("hex");
          assert.ok(!seenIvs.has(iv) && !seenNonces.has(nonce), `attempt ${index + 1} draws a fresh iv and nonce`);
          seenIvs.add(iv);
          seenNonces.add(nonce);
          if (index === 0) {
            assert.equal(iv, vector.random.iv);
            assert.equal(nonce, vector.random.internalIv);
          }

          // Every post opens, with both backends, to the expected payload (ts advancing with the waits).
          const opened = await openV1(frame.data, input.sharedSecret, nodeCryptoBackend);
          assert.deepEqual(await openV1(frame.data, input.sharedSecret, webCrypto), opened);
          if (!keepsMore) {
            assert.deepEqual(opened, post.payload);
            // The same plaintext as the reference apart from the nonce: JSON and space padding.
            assert.equal(plaintext.subarray(4).toString("hex"), post.plaintextHex.slice(8));
            continue;
          }

          // The cases where the reference over-cuts: ours fits, keeps more, and cuts cleanly.
          const reference = post.payload;
          assert.deepEqual({ ...opened, sbj: "", msg: "" }, { ...reference, sbj: "", msg: "" });
          assert.ok(encodedLength(opened.sbj) + encodedLength(opened.msg) <= MAX_ENCODED_TEXT_LENGTH, "fits 1400 encoded characters");
          const keptSubject = keptLength(opened.sbj, input.subject);
          const keptMessage = keptLength(opened.msg, input.message);
          const referenceSubject = keptLength(reference.sbj, input.subject);
          const referenceMessage = keptLength(reference.msg, input.message);
          assert.ok(keptSubject >= referenceSubject && keptMessage >= referenceMessage, "never keeps less than the reference");
          assert.ok(keptSubject + keptMessage > referenceSubject + referenceMessage, "keeps more than the reference");
          assert.ok(!isHighSurrogateAt(opened.msg, keptMessage - 1) || opened.msg === input.message);
          const json = plaintext.subarray(4).toString("latin1").trimEnd();
          assert.equal(
            json,
            `{"sbj": ${pythonJsonString(opened.sbj)}, "msg": ${pythonJsonString(opened.msg)}, "tt": ${reference.tt}, "is_sa": false, "ts": ${reference.ts}}`,
          );
        }
      } finally {
        await server.close();
      }
    });
  }
});
