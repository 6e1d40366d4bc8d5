#!/usr/bin/env node
// `npm start`: the whole product on one machine, end to end. Starts the push
// server on its embedded SQLite database, creates a demo account, subscribes
// to a channel as a receiver would, sends one message with the library in
// each envelope, shows them arrive and decrypt, and keeps serving (web app
// at /) until Ctrl-C. `--once` stops after the demo messages.
//
// Options: --data-dir DIR (default .data), --port N (default 8080), --once.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createDeliveryExtension, createServer, hashPassword, resolveConfig } from "lightweight-push-server";
import { LightweightPush, nodeCryptoBackend, prefixedChannel } from "lightweightpush";
import { channelEventsUrl, parseServerEvent, Receiver, SseParser } from "lightweightpush/receiver";

const { values: flags } = parseArgs({
  options: { "data-dir": { type: "string", default: ".data" }, port: { type: "string", default: "8080" }, once: { type: "boolean" } },
});
const dataDir = resolve(flags["data-dir"]);
const CHANNEL = "demo";

mkdirSync(dataDir, { recursive: true, mode: 0o700 });
const accountFile = join(dataDir, "demo-account.json");
if (!existsSync(accountFile)) {
  const account = {
    username: "demo@example.org",
    password: randomBytes(12).toString("base64url"),
    sharedSecret: randomBytes(12).toString("base64url"),
  };
  writeFileSync(accountFile, `${JSON.stringify(account, null, 2)}\n`, { mode: 0o600 });
}
const account = JSON.parse(readFileSync(accountFile, "utf8"));

const config = resolveConfig({ dataDir, port: Number(flags.port), logLevel: "warn" });
const server = await createServer(config, { extensions: [createDeliveryExtension()] });
const baseUrl = await server.listen();
const storage = server.context.storage;
if (!(await storage.getAccount(account.username))) {
  const passwordHash = await hashPassword(account.password, config.bcryptCost);
  await storage.addAccount({ username: account.username, passwordHash, createdAtMs: Date.now() });
}
console.log(`push server listening on ${baseUrl} (SQLite in ${dataDir})`);

// The receiver side: subscribe, decrypt on this side, print.
const wireChannel = await prefixedChannel(account.username, CHANNEL, nodeCryptoBackend);
const receiver = new Receiver({ username: account.username, sharedSecret: account.sharedSecret, crypto: nodeCryptoBackend });
const received = [];
let onReceived = () => {};
const subscription = request(channelEventsUrl(baseUrl, wireChannel), { headers: { accept: "text/event-stream" } });
subscription.on("response", (response) => {
  response.setEncoding("utf8");
  const parser = new SseParser(async (event) => {
    const serverEvent = event.event === "message" ? parseServerEvent(event.data) : undefined;
    const result = serverEvent && (await receiver.open(serverEvent, wireChannel));
    if (result?.kind === "message") {
      const state = result.payload.is_sa ? (result.payload.st === 1 ? "TRIGGERED" : "normal") : "no state";
      console.log(`received #${result.id} (envelope v${result.envelope}, ${state}): ${result.payload.sbj} | ${result.payload.msg}`);
      received.push(result);
      onReceived();
    }
  });
  response.on("data", (chunk) => parser.push(chunk));
});
subscription.on("error", () => {});
subscription.end();
await new Promise((done) => subscription.once("response", done));

// The sender side: encrypt here, post to the server.
for (const envelope of [1, 2]) {
  const push = new LightweightPush(account.username, account.password, account.sharedSecret, {
    endpoint: new URL("/push/send.php", baseUrl).toString(),
    envelope,
  });
  const receipt = await push.sendMsg("Demo", `Hello from envelope v${envelope}`, CHANNEL, { state: envelope === 2 ? 1 : 0, maxRetries: 0 });
  console.log(`sent with envelope v${envelope} to ${receipt.channel} in ${receipt.attempts} attempt(s)`);
}
await new Promise((done) => {
  onReceived = () => received.length >= 2 && done();
  onReceived();
});
subscription.destroy();

if (flags.once) {
  await server.close();
} else {
  console.log(`
The server keeps running: open ${baseUrl}/ for the web app and enter
  e-mail:   ${account.username}
  channels: ${CHANNEL}
  secret:   the "sharedSecret" in ${accountFile}
Send more from a shell (credentials from the same file):
  LIGHTWEIGHT_PUSH_CONFIG=${accountFile} npx lightweight-push --server ${baseUrl} -c ${CHANNEL} --sbj Hello --msg "from the shell"
Ctrl-C stops the server.`);
  const stop = () => server.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
