#!/usr/bin/env node
// Runs every *.test.ts under packages/*/test and test/ with node's test
// runner (TypeScript through tsx). Arguments filter files by substring.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;

function findTests(dir) {
  let found = [];
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "dist") continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found = found.concat(findTests(path));
    else if (name.endsWith(".test.ts")) found.push(path);
  }
  return found;
}

const roots = [join(root, "test"), ...readdirSync(join(root, "packages")).map((p) => join(root, "packages", p, "test"))];
const filters = process.argv.slice(2);
const files = roots
  .filter((dir) => statSync(dir, { throwIfNoEntry: false })?.isDirectory())
  .flatMap(findTests)
  .map((file) => relative(root, file))
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
  .sort();

if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}
// A test that hangs fails after five minutes instead of stalling the run.
const result = spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-reporter=spec", "--test-timeout=300000", ...files], {
  cwd: root,
  stdio: "inherit",
});
process.exit(result.status ?? 1);
