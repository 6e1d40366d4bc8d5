/**
 * Seal-and-frame throughput of envelopes v1 and v2 for a 1300-character
 * message: what the client does per attempt before the bytes go out
 * (truncation check, payload JSON, encryption, base64, frame JSON), and
 * the same plus the form encoding of the request body.
 *
 *   node --import tsx packages/lightweightpush/bench/seal-bench.ts [roundMs]
 *
 * Target on the reference machine: v1 at most 7 µs per message.
 */
import { nodeCryptoBackend } from "../src/client/node-crypto.js";
import { buildPushRequest } from "../src/client/transport.js";
import { prefixedChannel } from "../src/protocol/channel.js";
import { secureRandom } from "../src/protocol/crypto.js";
import { deriveV2Key } from "../src/protocol/envelope-v2.js";
import { serializeFrame } from "../src/protocol/frame.js";
import { type EnvelopeVersion, type MessageInput, type SealOptions, sealMessage } from "../src/protocol/message.js";

const ROUND_MS = Number(process.argv[2] ?? 400);
const ROUNDS = 7;
const USERNAME = "my_email@alertr.de";
const PASSWORD = "super_secret_password";
const SECRET = "shared_secret_to_encrypt_msg";
const ENDPOINT = "https://push.alertr.de/push/send.php";

const line = "2026-12-04 15:26:47 door sensor 3: state changed to triggered (battery 87%)\n";
const ascii = line.repeat(Math.ceil(1300 / line.length)).slice(0, 1300);
const mixed = "Grüße aus der Küche: Temperatur 23 °C, Tür offen 😀\n".repeat(30).slice(0, 1300);

async function measure(name: string, input: MessageInput, envelope: EnvelopeVersion, withForm: boolean): Promise<{ name: string; us: number }> {
  const channel = await prefixedChannel(USERNAME, "MyChannel", nodeCryptoBackend);
  const options: SealOptions = {
    username: USERNAME,
    sharedSecret: SECRET,
    prefixedChannel: channel,
    envelope,
    crypto: nodeCryptoBackend,
    random: secureRandom,
  };
  const once = async (): Promise<number> => {
    const sealed = await sealMessage(input, 1764860000, options);
    const frame = serializeFrame({ username: USERNAME, password: PASSWORD, channel, data: sealed.data });
    return withForm ? buildPushRequest(ENDPOINT, frame).body.length : frame.length;
  };
  // Warm-up: JIT, key caches (the v2 PBKDF2 key is derived once and cached).
  for (let i = 0; i < 20_000; i++) await once();
  const perRound: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let count = 0;
    const start = process.hrtime.bigint();
    const stop = start + BigInt(ROUND_MS) * 1_000_000n;
    let now = start;
    while (now < stop) {
      for (let i = 0; i < 200; i++) await once();
      count += 200;
      now = process.hrtime.bigint();
    }
    perRound.push(Number(now - start) / 1000 / count);
  }
  perRound.sort((a, b) => a - b);
  return { name, us: perRound[Math.floor(ROUNDS / 2)] as number };
}

await deriveV2Key(SECRET, USERNAME, nodeCryptoBackend);
const base = { subject: "Door sensor log", timeTriggered: 1764860000 };
const results = [];
results.push(await measure("v1 seal+frame, ASCII", { ...base, message: ascii }, 1, false));
results.push(await measure("v1 seal+frame+form, ASCII", { ...base, message: ascii }, 1, true));
results.push(await measure("v1 seal+frame, non-ASCII", { ...base, message: mixed }, 1, false));
results.push(await measure("v2 seal+frame, ASCII (cached key)", { ...base, message: ascii }, 2, false));
results.push(await measure("v2 seal+frame+form, ASCII (cached key)", { ...base, message: ascii }, 2, true));
results.push(await measure("v2 seal+frame, non-ASCII (cached key)", { ...base, message: mixed }, 2, false));

console.log(`seal-and-frame, 1300-character message, median of ${ROUNDS} rounds of ${ROUND_MS} ms (node ${process.version})`);
console.log(`${"case".padEnd(42)} ${"µs/message".padStart(11)} ${"messages/s".padStart(11)}`);
for (const { name, us } of results) {
  console.log(`${name.padEnd(42)} ${us.toFixed(2).padStart(11)} ${Math.round(1e6 / us).toLocaleString("en-US").padStart(11)}`);
}
const v1 = results[0]?.us ?? Number.NaN;
console.log(`v1 target <= 7 µs/message: ${v1 <= 7 ? "met" : "NOT met"} (${v1.toFixed(2)} µs)`);
