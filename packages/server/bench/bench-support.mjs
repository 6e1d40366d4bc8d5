// What the server benchmarks share: the benchmark account, a kept-alive
// client, the load generators (wrk or autocannon) as promises, percentiles.
import { execFile, execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";

export const USERNAME = "bench@example.org";
export const PASSWORD = "bench password";
export const CHANNEL = "538113b2_bench";
export const agent = new http.Agent({ keepAlive: true, maxSockets: 50 });

export function stopChild(child) {
  return new Promise((resolve) => {
    child.once("exit", resolve);
    child.disconnect();
  });
}

export function cannon(options) {
  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

/** True when wrk (a load generator written in C: `apt-get install -y wrk`) is on the PATH. */
export function hasWrk() {
  try {
    execFileSync("wrk", ["--version"], { stdio: "ignore" });
    return true;
  } catch (error) {
    // wrk --version prints its usage and exits with 1; only a missing binary is ENOENT.
    return error.code !== "ENOENT";
  }
}

const WRK_UNITS_MS = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

/**
 * Runs wrk with autocannon's options (`url`, `connections`, `duration` in
 * seconds, optional `method`, `headers`, `body`) and answers the part of
 * autocannon's result the benchmarks read: `requests.average`, `latency.p50`
 * and `p99` in ms, `2xx`, `non2xx` (and `errors`: socket errors).
 */
export async function wrk(options) {
  const dir = await mkdtemp(join(tmpdir(), "lwp-wrk-"));
  try {
    const lines = [`wrk.method = ${JSON.stringify(options.method ?? "GET")}`];
    for (const [name, value] of Object.entries(options.headers ?? {}))
      lines.push(`wrk.headers[${JSON.stringify(name)}] = ${JSON.stringify(value)}`);
    // A form body is URL-encoded, so it cannot hold the long string's closing bracket.
    if (options.body !== undefined) lines.push(`wrk.body = [==[${options.body}]==]`);
    const script = join(dir, "request.lua");
    await writeFile(script, `${lines.join("\n")}\n`);
    const args = ["--threads", "2", "--connections", String(options.connections), "--duration", `${options.duration}s`];
    const output = await new Promise((resolve, reject) => {
      execFile("wrk", [...args, "--latency", "--script", script, options.url], (error, stdout, stderr) =>
        error ? reject(new Error(`wrk failed: ${stderr || error.message}`)) : resolve(stdout),
      );
    });
    // wrk prints the last two lines only when they are not zero.
    const find = (pattern, what, optional = false) => {
      const match = pattern.exec(output);
      if (match === null && !optional) throw new Error(`no ${what} in wrk's output:\n${output}`);
      return match;
    };
    const latencyMs = (percent) => {
      const match = find(new RegExp(`^\\s+${percent}%\\s+([\\d.]+)(us|ms|s|m)$`, "m"), `${percent}% latency`);
      return Number(match[1]) * WRK_UNITS_MS[match[2]];
    };
    const total = Number(find(/^\s*(\d+) requests in /m, "request count")[1]);
    const non2xx = Number(find(/Non-2xx or 3xx responses: (\d+)/, "", true)?.[1] ?? 0);
    const errors = find(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/, "", true);
    return {
      requests: { average: Number(find(/Requests\/sec:\s+([\d.]+)/, "rate")[1]) },
      latency: { p50: latencyMs(50), p99: latencyMs(99) },
      "2xx": total - non2xx,
      non2xx,
      errors: errors === null ? 0 : errors.slice(1).reduce((sum, n) => sum + Number(n), 0),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function frame(data) {
  return `{"username": ${JSON.stringify(USERNAME)}, "password": ${JSON.stringify(PASSWORD)}, "channel": ${JSON.stringify(CHANNEL)}, "version": 0.1, "data": ${JSON.stringify(data)}}`;
}

export function post(url, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: "POST",
        agent,
        headers: { "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c) => {
          text += c;
        });
        res.on("end", () => resolve(text));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/**
 * Sends `count` messages at `perSecond` to `sendUrl`, each carrying its send
 * time (`t<unix ms>`) as payload, then waits up to 60 s until `done()`
 * holds (every subscriber has received every message).
 */
export async function sendPacedAndWait(sendUrl, count, perSecond, done) {
  const startedAt = performance.now();
  for (let i = 0; i < count; i++) {
    const wait = startedAt + (i * 1000) / perSecond - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const sentAt = performance.timeOrigin + performance.now();
    void post(`${sendUrl}/push/send.php`, new URLSearchParams({ data: frame(`t${sentAt.toFixed(3)}`) }).toString());
  }
  const deadline = Date.now() + 60_000;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
