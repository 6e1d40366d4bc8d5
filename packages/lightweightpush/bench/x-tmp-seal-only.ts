import { nodeCryptoBackend } from "../src/client/node-crypto.js";
import { prefixedChannel } from "../src/protocol/channel.js";
import { secureRandom } from "../src/protocol/crypto.js";
import { sealedFrameSerializer } from "../src/protocol/frame.js";
import { sealMessage } from "../src/protocol/message.js";
const line = "2026-12-04 15:26:47 door sensor 3: state changed to triggered (battery 87%)\n";
const ascii = line.repeat(Math.ceil(1300 / line.length)).slice(0, 1300);
const mixed = "Grüße aus der Küche: Temperatur 23 °C, Tür offen 😀\n".repeat(30).slice(0, 1300);
const msg = process.env.MIXED ? mixed : ascii;
const channel = await prefixedChannel("u@x", "MyChannel", nodeCryptoBackend);
const options = { username: "u@x", sharedSecret: "s", prefixedChannel: channel, envelope: 1 as const, crypto: nodeCryptoBackend, random: secureRandom };
const toFrame = sealedFrameSerializer("u@x", "pw", channel);
const input = { subject: "Door sensor log", message: msg, timeTriggered: 1764860000 };
for (let r = 0; r < 8; r++) {
  const s = process.hrtime.bigint();
  for (let i = 0; i < 50000; i++) toFrame((await sealMessage(input, 1764860000, options)).data);
  console.log((Number(process.hrtime.bigint() - s) / 1000 / 50000).toFixed(2), "µs");
}
