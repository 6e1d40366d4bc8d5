#!/usr/bin/env node
// Start-up cost of `lightweight-push`: one send to a loopback server beside
// bare Node start-up (`node -e 0`), in the same run, with the runs
// interleaved so that machine load hits every row alike. Wall time and CPU
// time (user + system) per process, median and p90. Target: a v1 send's
// median at most 1.5 times `node -e 0`'s.
//
// The command is measured as it ships: bin/lightweight-push.cjs, which npm
// links, loading the bundle the build makes. Extra rows for context: floors
// (an empty CommonJS file loading the built-ins any sender needs, then one
// also making a POST) and the unbundled ES modules tsc emits.
// Children get a minimal environment: NODE_EXTRA_CA_CERTS, for one, makes
// every Node process load a CA file at start-up.
//
// Usage: node packages/lightweightpush/bench/cli-bench.mjs [runs]   (npm run build first)
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const runs = Number(process.argv[2] ?? 30);
// What ships: the bin as npm links it, which loads the bundle the build makes.
const bin = fileURLToPath(new URL("../bin/lightweight-push.cjs", import.meta.url));
const bundle = fileURLToPath(new URL("../dist/cli/lightweight-push.cjs", import.meta.url));
if (!existsSync(bundle)) {
  console.error(`${bundle} is missing: run npm run build first`);
  process.exit(1);
}
// For comparison, the unbundled ES modules tsc emits.
const esmMain = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));

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

// Floors for any command that sends over HTTP with node:crypto: the
// built-ins loaded by an otherwise empty CommonJS file, the same file also
// making one POST over node:net (as the command does) and one over
// node:http, each reading the reply.
const floorDir = mkdtempSync(join(tmpdir(), "lwp-cli-bench-"));
const floor = join(floorDir, "floor.cjs");
writeFileSync(floor, 'require("node:net"); require("node:crypto");\n');
const { port } = server.address();
const floorNet = join(floorDir, "floor-net.cjs");
writeFileSync(
  floorNet,
  `require("node:crypto");
const socket = require("node:net").connect(${port}, "127.0.0.1");
socket.on("data", () => socket.destroy());
socket.write("POST /push/send.php HTTP/1.1\\r\\nHost: 127.0.0.1:${port}\\r\\nContent-Length: 6\\r\\nConnection: close\\r\\n\\r\\ndata=x");\n`,
);
const floorHttp = join(floorDir, "floor-http.cjs");
writeFileSync(
  floorHttp,
  `require("node:crypto"); require("node:http").request(${JSON.stringify(endpoint)}, { method: "POST" }, (res) => res.resume()).end("data=x");\n`,
);

const send = ["-c", "Bench", "--sbj", "Benchmark", "--msg", "One message", "-m", "0"];
const cases = [
  { name: "node -e 0", args: ["-e", "0"] },
  { name: "floor: CJS + net, crypto", args: [floor] },
  { name: "floor: + POST over net", args: [floorNet] },
  { name: "floor: + POST over http", args: [floorHttp] },
  { name: "lightweight-push --version", args: [bin, "--version"] },
  { name: "lightweight-push send (v1)", args: [bin, ...send] },
  { name: "lightweight-push send (v2)", args: [bin, ...send, "--envelope", "2"] },
  ...(existsSync(esmMain) ? [{ name: "unbundled ESM: send (v1)", args: [esmMain, ...send] }] : []),
];

// CPU time (user + system) of each child, reported by a one-line preload on
// fd 3: on a loaded machine wall time mostly measures waiting for a core,
// CPU time what the command itself costs. The preload costs time itself,
// which would flatter every ratio, so wall time comes from separate runs
// without it.
const cpuProbe = join(mkdtempSync(join(tmpdir(), "lwp-cli-bench-")), "cpu-probe.cjs");
writeFileSync(cpuProbe, 'process.on("exit",()=>{const u=process.cpuUsage();require("fs").writeSync(3,String((u.user+u.system)/1000))});');

// Asynchronous spawn: the server in this process must keep answering while a child runs.
function run(args, { probe }) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, probe ? ["-r", cpuProbe, ...args] : args, {
      env,
      stdio: ["ignore", "ignore", "inherit", probe ? "pipe" : "ignore"],
    });
    let cpu = "";
    child.stdio[3]?.setEncoding("utf8").on("data", (text) => {
      cpu += text;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
      if (code !== 0) reject(new Error(`${args.join(" ")} exited with ${code}`));
      else resolve({ wallMs, cpuMs: Number(cpu) });
    });
  });
}

async function timeOnce(args) {
  const { wallMs } = await run(args, { probe: false });
  const { cpuMs } = await run(args, { probe: true });
  return { wallMs, cpuMs };
}

const times = new Map(cases.map((c) => [c.name, []]));
for (const c of cases) await timeOnce(c.args); // warm the file cache
for (let i = 0; i < runs; i++) {
  for (const c of cases) times.get(c.name).push(await timeOnce(c.args));
}
server.close();

const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};
const row = (cells) => cells.map((cell, i) => (i === 0 ? cell.padEnd(28) : cell.padStart(11))).join(" ");
const baseline = times.get("node -e 0");
const baseWall = quantile(
  baseline.map((t) => t.wallMs),
  0.5,
);
const baseCpu = quantile(
  baseline.map((t) => t.cpuMs),
  0.5,
);
console.log(`lightweight-push start-up, ${runs} interleaved runs each (node ${process.version}, ${requests} sends answered)\n`);
console.log(row(["command", "wall p50 ms", "wall p90 ms", "wall ratio", "cpu p50 ms", "cpu p90 ms", "cpu ratio"]));
for (const c of cases) {
  const wall = times.get(c.name).map((t) => t.wallMs);
  const cpu = times.get(c.name).map((t) => t.cpuMs);
  console.log(
    row([
      c.name,
      quantile(wall, 0.5).toFixed(1),
      quantile(wall, 0.9).toFixed(1),
      `${(quantile(wall, 0.5) / baseWall).toFixed(2)}x`,
      quantile(cpu, 0.5).toFixed(1),
      quantile(cpu, 0.9).toFixed(1),
      `${(quantile(cpu, 0.5) / baseCpu).toFixed(2)}x`,
    ]),
  );
}
console.log("\nratios are medians relative to node -e 0; cpu = user + system time of the process");
console.log("target: one v1 send at most 1.50x node -e 0 (the original Python console tool takes about 200 ms);");
console.log("v2 includes one PBKDF2 key derivation (600,000 iterations), by design.");
