#!/usr/bin/env node
// Runs every benchmark of the project, one after the other (never in
// parallel: they share two cores), and prints their figures.
// Arguments select benchmarks by name: seal, cli, server.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const root = new URL("..", import.meta.url).pathname;
const benches = [
  { name: "seal", file: "packages/lightweightpush/bench/seal-bench.ts" },
  { name: "cli", file: "packages/lightweightpush/bench/cli-bench.mjs" },
  { name: "server", file: "packages/server/bench/server-bench.mjs" },
];
const wanted = process.argv.slice(2);
let failed = false;
for (const bench of benches) {
  if (wanted.length > 0 && !wanted.includes(bench.name)) continue;
  const file = [bench.file, bench.file.replace(/\.ts$/, ".mjs")].find((f) => existsSync(root + f));
  if (!file) {
    console.error(`benchmark ${bench.name}: ${bench.file} not found`);
    failed = true;
    continue;
  }
  console.log(`\n== ${bench.name} (${file}) ==`);
  const args = file.endsWith(".ts") ? ["--import", "tsx", file] : [file];
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: "inherit" });
  if (result.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
