/**
 * The `lightweight-push` command line: picks the subcommand and runs it.
 * Sending is the default action; `listen` is loaded only when asked for,
 * so that a send does not pay for the receiver's code at start-up.
 *
 * @module
 */
import type { CliIo } from "./io.js";
import { runSend } from "./send.js";

/**
 * Runs `lightweight-push ARGS` and resolves with the exit status.
 *
 * @example
 * process.exitCode = await runCli(process.argv.slice(2), processIo());
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === "listen") {
    const { runListen } = await import("./listen.js");
    return runListen(rest, io);
  }
  if (first === "send") return runSend(rest, io);
  return runSend(argv, io);
}
