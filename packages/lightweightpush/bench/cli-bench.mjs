#!/usr/bin/env node
// Wall time of one `lightweight-push` send to a loopback server beside
// bare Node start-up (`node -e 0`), measured in the same run with the runs
// interleaved so that machine load hits both alike. Target: the send's
// median at most 1.5 times `node -e 0`'s.
//
// Usage: node packages/lightweightpush/bench/cli-bench.mjs [runs]   (build first)
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:http";
import { fileURLToPath } from "node:url";

const runs = Number(process.argv[2] ?? 30);
const bin = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));
if (!existsSync(bin)) {
  console.error(`${bin} is missing: run npx tsc -b packages/lightweightpush first`);
  process.exit(1);
}

// The server answers at once without decrypting: only the command's own cost is measured.
let requests = 0;
const server = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    requests++;
    res.writeHead(200, { "content-type": "application/json" }).end('{"Code": 0}');
  });
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const endpoint = `http://127.0.0.1:${server.address().port}/push/send.php`;

// Credentials through the environment, as the help recommends.
const env = {
  PATH: process.env.PATH ?? "",
  HOME: "/nonexistent",
  LIGHTWEIGHT_PUSH_USERNAME: "bench@example.org",
  LIGHTWEIGHT_PUSH_PASSWORD: "bench-password",
  LIGHTWEIGHT_PUSH_SHARED_SECRET: "bench-secret",
  LIGHTWEIGHT_PUSH_ENDPOINT: endpoint,
};

const cases = [
  { name: "node -e 0", args: ["-e", "0"] },
  { name: "lightweight-push --version", args: [bin, "--version"] },
  { name: "lightweight-push send (v1)", args: [bin, "-c", "Bench", "--sbj", "Benchmark", "--msg", "One message", "-m", "0"] },
  { name: "lightweight-push send (v2)", args: [bin, "-c", "Bench", "--sbj", "Benchmark", "--msg", "One message", "-m", "0", "--envelope", "2"] },
];

// Asynchronous spawn: the server in this process must keep answering while a child runs.
function timeOnce(args) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { env, stdio: ["ignore", "ignore", "inherit"] });
    child.on("error", reject);
    child.on("exit", (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (code !== 0) reject(new Error(`${args.join(" ")} exited with ${code}`));
      else resolve(ms);
    });
  });
}

const times = new Map(cases.map((c) => [c.name, []]));
for (const c of cases) await timeOnce(c.args); // warm the file cache
for (let i = 0; i < runs; i++) {
  for (const c of cases) times.get(c.name).push(await timeOnce(c.args));
}
server.close();

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const base = quantile([...times.get("node -e 0")].sort((a, b) => a - b), 0.5);
console.log(`lightweight-push start-up, ${runs} interleaved runs each (node ${process.version}, ${requests} sends answered)\n`);
console.log(`${"command".padEnd(30)} ${"median ms".padStart(10)} ${"p90 ms".padStart(10)} ${"median / node -e 0".padStart(20)}`);
for (const c of cases) {
  const sorted = [...times.get(c.name)].sort((a, b) => a - b);
  const median = quantile(sorted, 0.5);
  console.log(
    `${c.name.padEnd(30)} ${median.toFixed(1).padStart(10)} ${quantile(sorted, 0.9).toFixed(1).padStart(10)} ${(median / base).toFixed(2).padStart(19)}x`,
  );
}
console.log("\ntarget: one send at most 1.50x node -e 0 (the original Python console tool takes about 200 ms)");
