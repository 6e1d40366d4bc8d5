/**
 * Entry point of the `lightweight-push` bin: wires the real process into
 * {@link runCli}. Kept tiny; everything testable lives in `cli.ts`.
 *
 * @module
 */
import { runCli } from "./cli.js";
import { processIo } from "./io.js";

// No top-level await: the build bundles this file into one CommonJS file
// (bin/lightweight-push.cjs loads it), which starts faster than ES modules
// but cannot await at the top level.
void runCli(process.argv.slice(2), processIo()).then((status) => {
  process.exitCode = status;
});
