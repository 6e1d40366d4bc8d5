import { fork } from "node:child_process";
import { mkdtempSync } from "node:fs";
import http from "node:http";
const dir = mkdtempSync("/tmp/prof/d-");
const child = fork("/work/main/packages/server/bench/server-bench.mjs", ["--serve", "push", "--data-dir", dir], { execArgv: ["--cpu-prof", "--cpu-prof-dir=/tmp/prof"] });
const { url } = await new Promise((r) => child.once("message", r));
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
let received = 0;
const reqs = [];
await Promise.all(Array.from({ length: 1000 }, () => new Promise((resolve) => {
  const req = http.get(`${url}/v1/channels/538113b2_bench/events`, { agent }, (res) => { res.on("data", (c) => { received += (c.toString().match(/event: message/g) || []).length; }); resolve(); });
  reqs.push(req);
})));
const frame = (d) => new URLSearchParams({ data: `{"username": "bench@example.org", "password": "bench password", "channel": "538113b2_bench", "version": 0.1, "data": "${d}"}` }).toString();
const post = (b) => new Promise((resolve) => { const r = http.request(url + "/push/send.php", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" } }, (res) => { res.resume(); res.on("end", resolve); }); r.end(b); });
await post(frame("warm"));
const t0 = Date.now();
for (let i = 0; i < 300; i++) { const due = t0 + i * 10; const w = due - Date.now(); if (w > 0) await new Promise((r) => setTimeout(r, w)); void post(frame(`m${i}`)); }
while (received < 301000 && Date.now() - t0 < 30000) await new Promise((r) => setTimeout(r, 50));
console.log("received", received, "in", Date.now() - t0, "ms");
for (const r of reqs) r.destroy();
child.disconnect();
await new Promise((r) => child.once("exit", r));
