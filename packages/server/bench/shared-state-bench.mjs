#!/usr/bin/env node
// The send and fan-out benchmark of server-bench.mjs, repeated with shared
// state: two instances on one PostgreSQL and one Redis, beside one instance
// on the embedded SQLite, in the same run. Prints figures; asserts nothing.
//
//   node packages/server/bench/shared-state-bench.mjs [--database-url URL] [--redis-url URL]
//        [--duration-seconds 10] [--connections 50] [--subscribers 1000] [--messages 1000]
//        [--messages-per-second 100] [--skip-sqlite] [--skip-sse] [--subscribe-on-sender]
//
// URLs default to LWP_TEST_DATABASE_URL / LWP_TEST_REDIS_URL
// (`source scripts/ci-services.sh && start_ci_services`). Each run uses a fresh
// schema, dropped at the end. Needs the built packages (npm run build).
//
// 1. Authenticated sends/s through POST /push/send.php on instance A (every reply must be {"Code": 0}).
// 2. N SSE subscribers on instance B (on A with SQLite) receiving M messages sent to A:
//    p50/p99 latency from the send request to receipt at every subscriber.
import { fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { CHANNEL, cannon, frame, PASSWORD, percentile, post, sendPacedAndWait, stopChild, USERNAME } from "./bench-support.mjs";

const PAYLOAD =
  "AAECAwQFBgcICQoLDA0OD9cLqeFzpvu9s3k15EBoKIYIyQN1oSYDiNB4nSgZntli6dyX7df50gkhz/++ie5kSR+GnpQyki2sogwpheUxKNGvBDLBrHRpbEJfBzPdEylqZH3ylldK2dosnZGXmAtX1OSMmSePwzLuylEFZM0Mvfo=";

const { values: opts } = parseArgs({
  options: {
    "database-url": { type: "string", default: process.env.LWP_TEST_DATABASE_URL },
    "redis-url": { type: "string", default: process.env.LWP_TEST_REDIS_URL },
    "duration-seconds": { type: "string", default: "10" },
    connections: { type: "string", default: "50" },
    subscribers: { type: "string", default: "1000" },
    messages: { type: "string", default: "1000" },
    "messages-per-second": { type: "string", default: "100" },
    "skip-sqlite": { type: "boolean", default: false },
    "skip-sse": { type: "boolean", default: false },
    "subscribe-on-sender": { type: "boolean", default: false },
    serve: { type: "string" },
  },
});

/** Child process: one server instance; `setup` is a JSON string of { dataDir, databaseUrl?, redisUrl? }. */
async function serve(setup) {
  const { dataDir, databaseUrl, redisUrl } = JSON.parse(setup);
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
    ...(databaseUrl === undefined ? {} : { databaseUrl }),
    ...(redisUrl === undefined ? {} : { redisUrl }),
  });
  const push = await server.createServer(config);
  try {
    await push.context.storage.addAccount({
      username: USERNAME,
      passwordHash: await server.hashPassword(PASSWORD, 12),
      createdAtMs: Date.now(),
    });
  } catch (error) {
    // The second instance on a shared database finds the account made by the first.
    if (error.code !== "ACCOUNT_EXISTS") throw error;
  }
  const url = await push.listen();
  process.send({ url });
  process.on("disconnect", () => push.close().then(() => process.exit(0)));
}

function startChild(setup) {
  const child = fork(new URL(import.meta.url).pathname, ["--serve", JSON.stringify(setup)], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return new Promise((resolve, reject) => {
    child.once("message", (m) => resolve({ child, url: m.url }));
    child.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
  });
}

/** Sends/s on `sendUrl`; then fan-out with subscribers on `subscribeUrl`. */
async function measure(label, sendUrl, subscribeUrl) {
  const durationSeconds = Number(opts["duration-seconds"]);
  const connections = Number(opts.connections);
  const body = new URLSearchParams({ data: frame(PAYLOAD) }).toString();
  // One request first, so the single bcrypt of the run is not part of the measurement.
  const first = await post(`${sendUrl}/push/send.php`, body);
  if (first !== '{"Code": 0}') throw new Error(`unexpected reply ${first}`);
  const sendResult = await cannon({
    url: `${sendUrl}/push/send.php`,
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body,
    connections,
    duration: durationSeconds,
  });
  const row = {
    label,
    sendsPerSecond: sendResult.requests.average,
    non2xx: sendResult.non2xx,
    sendP50: sendResult.latency.p50,
    sendP99: sendResult.latency.p99,
  };
  if (!opts["skip-sse"]) Object.assign(row, await fanOut(sendUrl, subscribeUrl));
  return row;
}

async function fanOut(sendUrl, subscribeUrl) {
  const subscriberCount = Number(opts.subscribers);
  const messageCount = Number(opts.messages);
  const perSecond = Number(opts["messages-per-second"]);
  const latencies = [];
  let received = 0;
  const sseAgent = new http.Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
  const streams = [];
  await Promise.all(
    Array.from(
      { length: subscriberCount },
      () =>
        new Promise((resolve, reject) => {
          const req = http.get(`${subscribeUrl}/v1/channels/${CHANNEL}/events`, { agent: sseAgent }, (res) => {
            let rest = "";
            res.setEncoding("utf8");
            res.on("data", (chunk) => {
              const now = performance.timeOrigin + performance.now();
              rest += chunk;
              const end = rest.lastIndexOf("\n\n");
              if (end === -1) return;
              const complete = rest.slice(0, end);
              rest = rest.slice(end + 2);
              for (const m of complete.matchAll(/"payload":"t([0-9.]+)"/g)) {
                latencies.push(now - Number(m[1]));
                received++;
              }
            });
            resolve();
          });
          req.on("error", reject);
          streams.push(req);
        }),
    ),
  );
  const expected = subscriberCount * messageCount;
  await sendPacedAndWait(sendUrl, messageCount, perSecond, () => received >= expected);
  for (const req of streams) req.destroy();
  latencies.sort((a, b) => a - b);
  return {
    fanOut: `${received}/${expected}`,
    fanOutP50: percentile(latencies, 50),
    fanOutP99: percentile(latencies, 99),
    fanOutMax: latencies.at(-1),
  };
}

async function sqliteRun() {
  const dataDir = await mkdtemp(join(tmpdir(), "lwp-bench-"));
  try {
    const a = await startChild({ dataDir });
    try {
      return await measure("SQLite, 1 instance", a.url, a.url);
    } finally {
      await stopChild(a.child);
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function sharedRun(databaseUrl, redisUrl) {
  const schema = `lwp_bench_${randomBytes(4).toString("hex")}`;
  const url = new URL(databaseUrl);
  url.searchParams.set("schema", schema);
  const dataDir = await mkdtemp(join(tmpdir(), "lwp-bench-"));
  try {
    // One after the other: the first applies the migrations.
    const a = await startChild({ dataDir: join(dataDir, "a"), databaseUrl: url.toString(), redisUrl });
    const b = await startChild({ dataDir: join(dataDir, "b"), databaseUrl: url.toString(), redisUrl });
    try {
      return opts["subscribe-on-sender"]
        ? await measure("PostgreSQL + Redis, send to A, subscribers on A", a.url, a.url)
        : await measure("PostgreSQL + Redis, send to A, subscribers on B", a.url, b.url);
    } finally {
      await Promise.all([stopChild(a.child), stopChild(b.child)]);
    }
  } finally {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function main() {
  const databaseUrl = opts["database-url"];
  const redisUrl = opts["redis-url"];
  if (databaseUrl === undefined || redisUrl === undefined) {
    console.error("needs --database-url and --redis-url (or LWP_TEST_DATABASE_URL / LWP_TEST_REDIS_URL)");
    process.exit(64);
  }
  console.log(
    `shared-state benchmark: ${opts.connections} connections, ${opts["duration-seconds"]} s of sends; ` +
      `${opts.subscribers} subscribers x ${opts.messages} messages at ${opts["messages-per-second"]}/s; node ${process.version}`,
  );
  const rows = [];
  if (!opts["skip-sqlite"]) rows.push(await sqliteRun());
  rows.push(await sharedRun(databaseUrl, redisUrl));
  for (const row of rows) {
    console.log(`\n${row.label}`);
    console.log(
      `  authenticated sends: ${row.sendsPerSecond.toFixed(0)} req/s (non-2xx ${row.non2xx}; p50 ${row.sendP50} ms, p99 ${row.sendP99} ms)`,
    );
    if (row.fanOut !== undefined) {
      console.log(
        `  SSE fan-out: received ${row.fanOut}; send-to-receipt p50 ${row.fanOutP50.toFixed(1)} ms, p99 ${row.fanOutP99.toFixed(1)} ms, max ${row.fanOutMax?.toFixed(1)} ms`,
      );
    }
  }
}

if (opts.serve !== undefined) await serve(opts.serve);
else await main();
