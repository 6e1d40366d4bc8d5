#!/usr/bin/env node
// Committed so that npm links the command at install time, before the first
// build. Start-up is most of a one-shot send, hence (scripts/build-cli.mjs):
// - the command is one CommonJS file, dist/cli/lightweight-push.cjs, which
//   Node 20 loads several times faster than the ES modules tsc emits;
// - V8 code cache for it, made by the build from a real send, spares
//   parsing and compiling it. Node's require() cannot take a code cache, so
//   the file is compiled here as require() would, plus the cache. A cache
//   V8 rejects (another Node version, other V8 flags) or a missing one only
//   costs the compile it would have saved.
"use strict";
const { readFileSync } = require("node:fs");
const { join } = require("node:path");
const { Script } = require("node:vm");

const dir = join(__dirname, "..", "dist", "cli");
const file = join(dir, "lightweight-push.cjs");
let cachedData;
try {
  cachedData = readFileSync(`${file}.cache`);
} catch {
  // No cache (not built with it): compile without.
}
// The bundle is written as the function require() wraps a CommonJS file
// in (node:module's Module.wrap and createRequire would load Node's ES
// module loader). This file's own require() serves the bundle, which
// requires only built-ins.
const bundle = { exports: {} };
new Script(readFileSync(file, "utf8"), { filename: file, cachedData }).runInThisContext()(bundle.exports, require, bundle, file, dir);
