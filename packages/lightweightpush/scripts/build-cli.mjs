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
// It then makes V8 code cache for the bundle (dist/cli/lightweight-push.cjs.cache),
// which bin/lightweight-push.cjs hands to V8: about a tenth of a send's wall
// time. The cache is taken after a real send to a local server (fake
// credentials, a fresh HOME), so that it holds every function a send
// compiles, not only the top level (which alone saves nothing measurable).
//
// Run by the root `npm run build`, after tsc.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";

const packageDir = new URL("..", import.meta.url).pathname;
const bundle = `${packageDir}dist/cli/lightweight-push.cjs`;
const bin = `${packageDir}bin/lightweight-push.cjs`;

/**
 * The sources load some built-ins lazily with node:module's createRequire
 * (ES modules have no require). A CommonJS file has require already, and
 * loading node:module pulls in Node's ES module loader, about a millisecond
 * of start-up: so in the bundle, createRequire just returns require.
 */
const commonJsCreateRequire = {
  name: "commonjs-create-require",
  setup(build) {
    build.onResolve({ filter: /^node:module$/ }, () => ({ path: "node:module", namespace: "commonjs-create-require" }));
    build.onLoad({ filter: /.*/, namespace: "commonjs-create-require" }, () => ({
      contents: "export function createRequire() { return require; }",
      loader: "js",
    }));
  },
};

// V8 checks a cache against the source's length, not its content: a stale
// cache must never sit beside a new bundle, so it goes first.
rmSync(`${bundle}.cache`, { force: true });

await build({
  entryPoints: [`${packageDir}src/cli/main.ts`],
  outfile: bundle,
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  logLevel: "warning",
  // The file is the function require() would wrap a CommonJS file in, so
  // that the bin compiles it as it is read, without another copy of it.
  // "use strict" comes first in it, as the ES modules were strict code.
  // CommonJS has no import.meta: the bundle gets its own file URL instead,
  // made on first use (only --version needs it; it costs a send 0.3 ms).
  banner: {
    js: '(function (exports, require, module, __filename, __dirname) {\n"use strict";\nvar __bundle = { get url() { return require("node:url").pathToFileURL(__filename).href; } };',
  },
  footer: { js: "})" },
  define: { "import.meta.url": "__bundle.url" },
  // Fewer bytes to read and hold in memory: with the whole file, a send
  // allocates just enough to set off a garbage collection (about 1 ms).
  // Short local names save a send another 0.25 ms (300 interleaved runs);
  // stack traces then show them: the unbundled ES modules run the same
  // command with the source's names (node dist/cli/main.js ...).
  minifyWhitespace: true,
  minifySyntax: true,
  minifyIdentifiers: true,
  plugins: [commonJsCreateRequire],
});

// The training send: the bin itself runs, so the cache is made from exactly
// the source it compiles (V8 accepts a cache only for that). The child
// swaps node:vm's Script for a subclass that compiles without a cache and
// writes a fresh one when the process exits, after the send.
const trainer = `
const { writeFileSync } = require("node:fs");
const vm = require("node:vm");
vm.Script = class extends vm.Script {
  constructor(source, options) {
    super(source, { ...options, cachedData: undefined });
    process.on("exit", () => writeFileSync(options.filename + ".cache", this.createCachedData()));
  }
};
require(${JSON.stringify(bin)});
`;
const server = createServer((req, res) => {
  req.resume();
  req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end('{"Code": 0}'));
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const home = mkdtempSync(join(tmpdir(), "lwp-build-cli-"));
try {
  // After -e, process.argv[1] is the first argument: the bin, as when run as a command.
  const args = ["-e", trainer, bin, "-c", "Build", "--sbj", "Code cache", "--msg", "Training send", "-m", "0"];
  const env = {
    PATH: process.env.PATH ?? "",
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    LIGHTWEIGHT_PUSH_USERNAME: "build@example.org",
    LIGHTWEIGHT_PUSH_PASSWORD: "not-a-password",
    LIGHTWEIGHT_PUSH_SHARED_SECRET: "not-a-secret",
    LIGHTWEIGHT_PUSH_ENDPOINT: `http://127.0.0.1:${server.address().port}/push/send.php`,
  };
  // Asynchronous: this process's server has to answer while the child runs.
  const status = await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: "inherit" });
    child.on("error", reject);
    child.on("close", resolve);
  });
  if (status !== 0) throw new Error(`the training send for the code cache exited with ${status}`);
} finally {
  server.close();
  rmSync(home, { recursive: true, force: true });
}
