/**
 * Writes test/vectors/v2-vectors.json: envelope v2 cases made with fixed
 * randomness, so that other implementations can check themselves against
 * this one. The envelope is computed here straight from PROTOCOL.md with
 * `node:crypto`, and must agree with the library's `sealMessage`.
 *
 * Run from the repository root:
 *   node --import tsx packages/lightweightpush/scripts/make-v2-vectors.ts
 */
import { createCipheriv, createHash, createHmac, pbkdf2Sync } from "node:crypto";
import { writeFileSync } from "node:fs";
import { nodeCryptoBackend } from "../src/client/node-crypto.js";
import { buildPayload, type MessageInput, sealMessage } from "../src/protocol/message.js";
import type { MessageState } from "../src/protocol/payload.js";
import { serializePayload } from "../src/protocol/payload.js";

interface CaseInput {
  readonly name: string;
  readonly username: string;
  readonly sharedSecret: string;
  readonly channel: string;
  readonly subject: string;
  readonly message: string;
  readonly state: MessageState | null;
  readonly timeTriggered: number;
  readonly timeSent: number;
}

const INPUTS: readonly CaseInput[] = [
  {
    name: "readme-example",
    username: "my_email@alertr.de",
    sharedSecret: "shared_secret_to_encrypt_msg",
    channel: "MyChannel",
    subject: "Subject of Message",
    message: "Message text",
    state: null,
    timeTriggered: 1764860000,
    timeSent: 1764860000,
  },
  {
    name: "non-ascii-triggered",
    username: "jürgen@example.org",
    sharedSecret: "geheimes Passwort ü€",
    channel: "Kanal",
    subject: "Grüße €",
    message: '日本語のメッセージ 😀 emoji\n"quoted" \\ /slash\t\u0001\u007f',
    state: 1,
    timeTriggered: 1764850000,
    timeSent: 1764860005,
  },
  {
    name: "empty-state-normal",
    username: "my_email@alertr.de",
    sharedSecret: "",
    channel: "c-_.~%41",
    subject: "",
    message: "",
    state: 0,
    timeTriggered: 0,
    timeSent: 1764860000,
  },
  {
    name: "truncated-escaped",
    username: "my_email@alertr.de",
    sharedSecret: "shared_secret_to_encrypt_msg",
    channel: "logs",
    subject: "Log with newlines",
    message: "line\n".repeat(600),
    state: null,
    timeTriggered: 1764860000,
    timeSent: 1764860000,
  },
  {
    name: "truncated-emoji",
    username: "my_email@alertr.de",
    sharedSecret: "shared_secret_to_encrypt_msg",
    channel: "emoji",
    subject: "emoji",
    message: "😀".repeat(300),
    state: null,
    timeTriggered: 1764860000,
    timeSent: 1764860000,
  },
];

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
/** Fixed "random" bytes: start, start+1, ... modulo 256. */
const fixedBytes = (length: number, start: number): Buffer => Buffer.from(Array.from({ length }, (_, i) => (start + i) & 0xff));

const cases = [];
for (const [index, input] of INPUTS.entries()) {
  const id = fixedBytes(16, 0x10 * index + 0xa0);
  const nonce = fixedBytes(12, 0x10 * index + 0x30);

  // Straight from PROTOCOL.md, section 2.
  const prefixedChannel = `${createHash("sha256").update(input.username, "utf8").digest("hex").slice(0, 8)}_${input.channel}`;
  const salt = Buffer.from(`lightweight-push/v2/${input.username}`, "utf8");
  const key = pbkdf2Sync(Buffer.from(input.sharedSecret, "utf8"), salt, 600_000, 32, "sha256");
  const keyId = createHmac("sha256", key).update("key-id").digest().subarray(0, 4);
  const aad = Buffer.concat([Buffer.of(0x02), keyId, Buffer.from(prefixedChannel, "utf8")]);
  const messageInput: MessageInput = {
    subject: input.subject,
    message: input.message,
    timeTriggered: input.timeTriggered,
    ...(input.state !== null ? { state: input.state } : {}),
  };
  const { payload, truncated } = buildPayload(messageInput, input.timeSent, hex(id));
  const payloadJson = serializePayload(payload);
  const body = Buffer.from(payloadJson.padEnd(Math.ceil(payloadJson.length / 32) * 32, " "), "latin1");
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(aad);
  const sealed = Buffer.concat([cipher.update(body), cipher.final(), cipher.getAuthTag()]);
  const data = `v2.${Buffer.concat([Buffer.of(0x02), keyId, nonce, sealed]).toString("base64url")}`;

  // The library must produce the same bytes from the same draws.
  const draws: Record<number, Uint8Array> = { 16: id, 12: nonce };
  const library = await sealMessage(messageInput, input.timeSent, {
    username: input.username,
    sharedSecret: input.sharedSecret,
    prefixedChannel,
    envelope: 2,
    crypto: nodeCryptoBackend,
    random: (length) => {
      const bytes = draws[length];
      if (!bytes) throw new Error(`unexpected draw of ${length} bytes`);
      return bytes;
    },
  });
  if (library.data !== data) throw new Error(`${input.name}: the library seals differently from the specification`);

  cases.push({
    name: input.name,
    input: {
      username: input.username,
      sharedSecret: input.sharedSecret,
      channel: input.channel,
      subject: input.subject,
      message: input.message,
      state: input.state,
      timeTriggered: input.timeTriggered,
      timeSent: input.timeSent,
    },
    random: { id: hex(id), nonce: hex(nonce) },
    prefixedChannel,
    keyHex: hex(key),
    keyIdHex: hex(keyId),
    aadHex: hex(aad),
    truncated,
    payloadJson,
    expected: { data, payload },
  });
}

const file = new URL("../test/vectors/v2-vectors.json", import.meta.url);
const document = {
  about:
    "Envelope v2 vectors of lightweightpush (see shared/PROTOCOL.md, section 2), made with fixed randomness by scripts/make-v2-vectors.ts. " +
    "random.id is the 16-byte message id (payload field id, hex), random.nonce the 12-byte AES-GCM nonce; keyHex is the PBKDF2 key, " +
    "payloadJson the plaintext before space padding to a multiple of 32 bytes, expected.data the data field of the frame.",
  cases,
};
writeFileSync(file, `${JSON.stringify(document, null, 2)}\n`);
console.log(`wrote ${cases.length} cases to ${file.pathname}`);
