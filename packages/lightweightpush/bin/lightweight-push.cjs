#!/usr/bin/env node
// Committed so that npm links the command at install time, before the first
// build. CommonJS, and the command bundled into one CommonJS file by the
// build (scripts/build-cli.mjs): Node 20 starts that several times faster
// than the ES modules tsc emits, and start-up is most of a one-shot send.
require("../dist/cli/lightweight-push.cjs");
