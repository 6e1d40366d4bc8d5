#!/usr/bin/env node
// Bundles the `lightweight-push` command into one CommonJS file,
// dist/cli/lightweight-push.cjs, which bin/lightweight-push.cjs loads.
//
// Why: a one-shot send is mostly Node start-up. Loading the ~30 ES modules
// that tsc emits costs about 0.7 ms each in Node 20's ESM loader; one
// CommonJS file costs a fraction of that. The file sits in dist/cli, two
// levels below package.json like the tsc output, so that version.ts finds
// package.json at the same relative path. `listen` is bundled too: its
// modules are only initialised (and its built-ins only required) when
// `listen` runs, so a send pays just for parsing them.
//
// Run by the root `npm run build`, after tsc.
import { build } from "esbuild";

const packageDir = new URL("..", import.meta.url).pathname;

await build({
  entryPoints: [`${packageDir}src/cli/main.ts`],
  outfile: `${packageDir}dist/cli/lightweight-push.cjs`,
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  logLevel: "warning",
  // CommonJS has no import.meta: give the bundle its own file URL instead.
  define: { "import.meta.url": "__bundleUrl" },
  banner: { js: 'var __bundleUrl = require("node:url").pathToFileURL(__filename).href;' },
});
