#!/usr/bin/env node
// Benchmark of lightweight-push-server on loopback. Prints figures; asserts nothing.
//
//   node packages/server/bench/server-bench.mjs [--duration-seconds 3] [--rounds 7] [--connections 50]
//        [--subscribers 1000] [--messages 1000] [--messages-per-second 50] [--skip-sse]
//        [--load-generator wrk|autocannon]
//
// Needs the built packages (npm run build). Each server runs in a child process
// so that the load generator and the subscribers do not share its event loop.
// The load generator is wrk where it is installed (apt-get install -y wrk),
// else autocannon. On two CPUs the generator's own CPU per request (autocannon
// about 16 us, wrk about 10 us) is taken from the push server, which has two
// busy threads (event loop, SQLite writer), more than from the
// single-threaded hello-world.
//
// 1. Authenticated sends/s through POST /push/send.php (every reply must be {"Code": 0}),
//    beside a bare Fastify hello-world measured in the same run: same load-generator settings and
//    warm-up, alternating rounds, the median ratio. For context, a floor: a Fastify route that
//    reads the same form body and answers a constant, relative to the hello-world.
// 2. N SSE subscribers on one channel receiving M messages: p50/p99 latency from the
//    send request to receipt at every subscriber, and the server's own
//    acceptance-to-write histogram.
import { fork } from "node:child_process";
import { closeSync, fdatasyncSync, openSync, writeSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  CHANNEL,
  cannon,
  frame,
  hasWrk,
  PASSWORD,
  percentile,
  post,
  sendPacedAndWait,
  stopChild,
  USERNAME,
  wrk,
} from "./bench-support.mjs";

const { values: opts } = parseArgs({
  options: {
    "duration-seconds": { type: "string", default: "3" },
    rounds: { type: "string", default: "7" },
    connections: { type: "string", default: "50" },
    subscribers: { type: "string", default: "1000" },
    messages: { type: "string", default: "1000" },
    "messages-per-second": { type: "string", default: "50" },
    "skip-sse": { type: "boolean", default: false },
    "writer-thread": { type: "string", default: "true" },
    "load-generator": { type: "string" },
    serve: { type: "string" },
    "data-dir": { type: "string" },
  },
});

/** Child process: start one server and report its URL to the parent. */
async function serve(kind, dataDir) {
  if (kind === "hello" || kind === "post-floor") {
    const { default: Fastify } = await import("fastify");
    const app = Fastify({ logger: false });
    app.get("/", async () => ({ hello: "world" }));
    // The framework's own cost of a send-sized form POST: the body read as the send route reads it, a constant answer.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "buffer" }, (_request, body, done) => done(null, body));
    app.post("/push/send.php", async (_request, reply) => reply.type("application/json").send('{"Code": 0}'));
    await app.listen({ host: "127.0.0.1", port: 0 });
    process.send({ url: `http://127.0.0.1:${app.server.address().port}` });
    process.on("disconnect", () => app.close().then(() => process.exit(0)));
    return;
  }
  const server = await import("../dist/index.js");
  const config = server.resolveConfig({
    host: "127.0.0.1",
    port: 0,
    dataDir,
    webRoot: "",
    logLevel: "warn",
    accountSendsPerWindow: 0,
    addressSendsPerWindow: 0,
    heartbeatIntervalMs: 15_000,
  });
  const storage = server.openSqliteStorage({
    path: join(dataDir, server.SQLITE_FILE_NAME),
    writerThread: opts["writer-thread"] !== "false",
  });
  await storage.addAccount({
    username: USERNAME,
    passwordHash: await server.hashPassword(PASSWORD, 12),
    createdAtMs: Date.now(),
  });
  const push = await server.createServer(config, { storage });
  const url = await push.listen();
  process.send({ url });
  process.on("disconnect", () => push.close().then(() => process.exit(0)));
}

function startChild(kind, dataDir) {
  const args = ["--serve", kind, "--writer-thread", opts["writer-thread"]];
  if (dataDir !== undefined) args.push("--data-dir", dataDir);
  const child = fork(new URL(import.meta.url).pathname, args, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  return new Promise((resolve, reject) => {
    child.once("message", (m) => resolve({ child, url: m.url }));
    child.once("exit", (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
}

function getText(url) {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c) => {
          text += c;
        });
        res.on("end", () => resolve(text));
      })
      .on("error", reject);
  });
}

/** Median time of a 4 KiB append plus fdatasync in `file`, ms. */
function fdatasyncLatencyMs(file) {
  const fd = openSync(file, "w");
  const block = Buffer.alloc(4096, 1);
  const times = [];
  try {
    for (let i = 0; i < 200; i++) {
      writeSync(fd, block);
      const start = performance.now();
      fdatasyncSync(fd);
      times.push(performance.now() - start);
    }
  } finally {
    closeSync(fd);
  }
  times.sort((a, b) => a - b);
  return percentile(times, 50);
}

function rejectedTotal(text) {
  let sum = 0;
  for (const line of text.split("\n")) if (line.startsWith("lwp_messages_rejected_total{")) sum += Number(line.split(" ")[1]);
  return sum;
}

function metricValue(text, name) {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? 0 : Number(line.split(" ")[1]);
}

async function main() {
  const durationSeconds = Number(opts["duration-seconds"]);
  const connections = Number(opts.connections);
  const rounds = Number(opts.rounds);
  const generator = opts["load-generator"] ?? (hasWrk() ? "wrk" : "autocannon");
  if (generator !== "wrk" && generator !== "autocannon") {
    console.error(`--load-generator must be wrk or autocannon, not ${generator}`);
    process.exit(2);
  }
  const load = generator === "wrk" ? wrk : cannon;
  console.log(
    `lightweight-push-server benchmark: ${connections} connections, ${rounds} rounds of ${durationSeconds} s per server, load from ${generator === "wrk" ? "wrk (2 threads)" : "autocannon"}, node ${process.version}`,
  );
  if (generator === "autocannon" && opts["load-generator"] === undefined) {
    console.log("(wrk is not installed: apt-get install -y wrk measures with less of the two CPUs taken by the load generator)");
  }

  const dataDir = await mkdtemp(join(tmpdir(), "lwp-bench-"));
  try {
    // Every accepted send waits for an fdatasync of the WAL, so the disk's sync latency bounds the rate at a
    // fixed number of connections: each waits on average for half a running commit and then its own.
    const syncMs = fdatasyncLatencyMs(join(dataDir, "sync-probe"));
    console.log(
      `disk fdatasync:           p50 ${syncMs.toFixed(2)} ms -> durable-send ceiling at ${connections} connections ~ ${(connections / ((1.5 * syncMs) / 1000)).toFixed(0)}/s`,
    );
    // Both servers stay up (idle while the other is measured) and are measured in alternating rounds, so
    // that a change in the machine's other load during the run affects both sides of the ratio alike.
    const hello = await startChild("hello");
    const floor = await startChild("post-floor");
    const push = await startChild("push", dataDir);
    const helloOptions = { url: `${hello.url}/`, connections };
    const body = new URLSearchParams({
      data: frame(
        "AAECAwQFBgcICQoLDA0OD9cLqeFzpvu9s3k15EBoKIYIyQN1oSYDiNB4nSgZntli6dyX7df50gkhz/++ie5kSR+GnpQyki2sogwpheUxKNGvBDLBrHRpbEJfBzPdEylqZH3ylldK2dosnZGXmAtX1OSMmSePwzLuylEFZM0Mvfo=",
      ),
    }).toString();
    const sendOptions = {
      url: `${push.url}/push/send.php`,
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body,
      connections,
    };
    const floorOptions = { ...sendOptions, url: `${floor.url}/push/send.php` };
    // One request first, so the single bcrypt of the run is not part of the measurement.
    const first = await post(`${push.url}/push/send.php`, body);
    if (first !== '{"Code": 0}') throw new Error(`unexpected reply ${first}`);
    // Warm-up runs (JIT, and for the push server the first growth of the SQLite WAL file) are not measured.
    await load({ ...helloOptions, duration: 2 });
    await load({ ...floorOptions, duration: 2 });
    await load({ ...sendOptions, duration: 2 });

    const helloRates = [];
    const floorRatios = [];
    const sendRates = [];
    const ratios = [];
    for (let round = 1; round <= rounds; round++) {
      const helloResult = await load({ ...helloOptions, duration: durationSeconds });
      const floorResult = await load({ ...floorOptions, duration: durationSeconds });
      const metricsBefore = await getText(`${push.url}/metrics`);
      const sendResult = await load({ ...sendOptions, duration: durationSeconds });
      const metrics = await getText(`${push.url}/metrics`);
      const accepted = metricValue(metrics, "lwp_messages_accepted_total") - metricValue(metricsBefore, "lwp_messages_accepted_total");
      const rejected = rejectedTotal(metrics) - rejectedTotal(metricsBefore);
      const helloRate = helloResult.requests.average;
      const rate = sendResult.requests.average;
      helloRates.push(helloRate);
      floorRatios.push(floorResult.requests.average / helloRate);
      sendRates.push(rate);
      ratios.push(rate / helloRate);
      console.log(
        `round ${round}: fastify hello-world ${helloRate.toFixed(0)} req/s (non-2xx ${helloResult.non2xx}); fastify form POST, constant answer ${floorResult.requests.average.toFixed(0)} req/s; authenticated sends ${rate.toFixed(0)} req/s (p50 ${sendResult.latency.p50.toFixed(2)} ms, p99 ${sendResult.latency.p99.toFixed(2)} ms; ${sendResult["2xx"]} answers, ${accepted} messages accepted and durable; ${rejected === 0 ? "none refused" : `${rejected} REFUSED`}; non-2xx ${sendResult.non2xx}, socket errors ${sendResult.errors}); ratio ${(rate / helloRate).toFixed(2)}`,
      );
    }
    await stopChild(hello.child);
    await stopChild(floor.child);
    const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    console.log(`fastify hello-world:      ${median(helloRates).toFixed(0)} req/s (median of ${rounds} rounds)`);
    console.log(
      `form POST floor / hello:  ${median(floorRatios).toFixed(2)} (the framework alone, reading a send-sized form; median of the rounds' ratios)`,
    );
    console.log(`authenticated sends:      ${median(sendRates).toFixed(0)} req/s (median of ${rounds} rounds)`);
    console.log(`sends / hello-world:      ${median(ratios).toFixed(2)} (median of the rounds' ratios)`);

    if (!opts["skip-sse"]) await sseBench(push.url);
    await stopChild(push.child);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function sseBench(url) {
  const subscriberCount = Number(opts.subscribers);
  const messageCount = Number(opts.messages);
  const perSecond = Number(opts["messages-per-second"]);
  const latencies = [];
  let received = 0;
  // Raw sockets rather than http.get: 1,000 HTTP parsers in this one process would measure the benchmark, not the server.
  const { port, hostname } = new URL(url);
  const marker = Buffer.from('"payload":"t');
  const streams = [];
  await Promise.all(
    Array.from(
      { length: subscriberCount },
      () =>
        new Promise((resolve, reject) => {
          const socket = net.connect(Number(port), hostname, () => {
            socket.write(`GET /v1/channels/${CHANNEL}/events HTTP/1.1\r\nHost: ${hostname}\r\nAccept: text/event-stream\r\n\r\n`);
          });
          let open = false;
          let rest = Buffer.alloc(0);
          socket.on("data", (chunk) => {
            const now = performance.timeOrigin + performance.now();
            const data = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
            if (!open) {
              // The route subscribes to the bus before it writes ": connected".
              if (data.indexOf(": connected") === -1) {
                rest = data;
                return;
              }
              open = true;
              resolve();
            }
            let at = data.indexOf(marker);
            let consumed = 0;
            while (at !== -1) {
              const end = data.indexOf(34, at + marker.length); // closing quote
              if (end === -1) break;
              latencies.push(now - Number(data.toString("latin1", at + marker.length, end)));
              received++;
              consumed = end;
              at = data.indexOf(marker, end);
            }
            // Keep an unfinished event, or a tail that may hold the start of a marker split across chunks.
            rest = at !== -1 ? data.subarray(at) : data.subarray(Math.max(consumed + 1, data.length - marker.length + 1));
          });
          socket.on("error", reject);
          streams.push(socket);
        }),
    ),
  );
  const before = await getText(`${url}/metrics`);
  const expected = subscriberCount * messageCount;
  await sendPacedAndWait(url, messageCount, perSecond, () => received >= expected);
  const after = await getText(`${url}/metrics`);
  for (const req of streams) req.destroy();
  latencies.sort((a, b) => a - b);
  const serverCount = metricValue(after, "lwp_delivery_latency_seconds_count") - metricValue(before, "lwp_delivery_latency_seconds_count");
  const bucket = (le) =>
    metricValue(after, `lwp_delivery_latency_seconds_bucket{le="${le}"}`) -
    metricValue(before, `lwp_delivery_latency_seconds_bucket{le="${le}"}`);
  console.log(
    `SSE fan-out:              ${subscriberCount} subscribers x ${messageCount} messages at ${perSecond}/s: received ${received}/${expected}`,
  );
  console.log(
    `  send-to-receipt latency: p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, max ${latencies.at(-1)?.toFixed(1)} ms`,
  );
  const bounds = ["0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"];
  const upTo = (p) => bounds.find((le) => bucket(le) >= (p / 100) * serverCount) ?? "+Inf";
  const ms = (le) => (le === "+Inf" ? "inf" : `${Number(le) * 1000}`);
  console.log(
    `  server acceptance-to-write (its histogram): p50 <= ${ms(upTo(50))} ms, p99 <= ${ms(upTo(99))} ms; ${((bucket("0.05") / serverCount) * 100).toFixed(1)}% within 50 ms (${serverCount} writes)`,
  );
}

if (opts.serve !== undefined) await serve(opts.serve, opts["data-dir"]);
else await main();
