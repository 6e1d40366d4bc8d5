/**
 * Entry point of the `lightweight-push` bin: wires the real process into
 * {@link runCli}. Kept tiny; everything testable lives in `cli.ts`.
 *
 * @module
 */
import { runCli } from "./cli.js";
import { exitOnceWritten, processIo } from "./io.js";

const argv = process.argv.slice(2);
// No top-level await: the build bundles this file into one CommonJS file
// (bin/lightweight-push.cjs loads it), which starts faster than ES modules
// but cannot await at the top level.
void runCli(argv, processIo()).then((status) => {
  process.exitCode = status;
  // A send is over once its status is known. `listen` ends when the event
  // loop runs dry instead: commands it started may still be running.
  if (argv[0] !== "listen") exitOnceWritten(status);
});
