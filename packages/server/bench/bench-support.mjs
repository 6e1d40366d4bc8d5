// What the server benchmarks share: the benchmark account, a kept-alive
// client, autocannon as a promise, percentiles.
import http from "node:http";
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
