/**
 * What a CLI command may touch of the outside world, gathered in one
 * object so that tests can run a command in-process with captured output,
 * a chosen environment and a clock that does not really wait. Both
 * `lightweight-push` (send) and `lightweight-push listen` take a
 * {@link CliIo}.
 *
 * @module
 */
import { createRequire } from "node:module";
import type { Clock } from "../client/clock.js";
import { systemClock } from "../client/clock.js";

/** Somewhere to write text; `process.stdout` and `process.stderr` qualify. */
export interface TextWriter {
  write(text: string): unknown;
}

/** Standard input, read only when a command needs it. */
export interface CliStdin {
  /** Whether standard input is a terminal (then a message is never read from it). */
  readonly isTTY: boolean;
  /**
   * Reads standard input to its end as UTF-8. Rejects with the signal's
   * reason when `signal` aborts first, and stops reading then.
   */
  readText(signal?: AbortSignal): Promise<string>;
}

/**
 * Everything a command uses besides its arguments. There is deliberately
 * no `fetch` here: the client sends over `node:http(s)`, and tests run a
 * real HTTP server on 127.0.0.1 instead of replacing the network.
 *
 * @example
 * // In a test: capture output, inject the environment and a clock.
 * const out: string[] = [];
 * const io: CliIo = {
 *   stdout: { write: (t) => out.push(t) }, stderr: { write: (t) => out.push(t) },
 *   stdin: { isTTY: true, readText: async () => "" },
 *   env: { LIGHTWEIGHT_PUSH_USERNAME: "me@example.org" },
 *   clock: myClock, signal: new AbortController().signal,
 * };
 */
export interface CliIo {
  readonly stdout: TextWriter;
  /** Diagnostics: errors, warnings, retry lines, and INFO/DEBUG lines when asked for. */
  readonly stderr: TextWriter;
  readonly stdin: CliStdin;
  /**
   * The environment. Only `src/cli/config.ts` reads it; commands pass it
   * on to the config loader.
   */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Time and waits (retry waits, reconnect backoff). */
  readonly clock: Clock;
  /** Aborts when the user interrupts (SIGINT, SIGTERM); commands stop waiting and exit. */
  readonly signal: AbortSignal;
  /**
   * Aborts when standard output can no longer be written (its reader went
   * away: `lightweight-push listen | head -1`), so that a long-running
   * command stops instead of dying on EPIPE.
   * @default never aborts
   */
  readonly outputClosed?: AbortSignal;
}

/** Exit status after an interrupt (128 + SIGINT), as shells report it. */
export const INTERRUPTED_EXIT_STATUS = 130;

/**
 * The {@link CliIo} of this process. The first SIGINT or SIGTERM aborts
 * {@link CliIo.signal} so that a command can stop cleanly; a second one
 * exits at once.
 */
export function processIo(): CliIo {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(INTERRUPTED_EXIT_STATUS);
    controller.abort(new InterruptedError(name));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  // Streams and node:tty are touched only when used: building process.stdout
  // or process.stdin costs start-up time, and a silent send never needs them.
  const outputClosed = new AbortController();
  return {
    stdout: {
      write: (text) => {
        // Hooked at the first write, before any write can fail: an unhandled EPIPE would crash the process.
        if (!written.has(process.stdout)) process.stdout.on("error", () => outputClosed.abort());
        written.add(process.stdout);
        return process.stdout.write(text);
      },
    },
    outputClosed: outputClosed.signal,
    stderr: {
      write: (text) => {
        written.add(process.stderr);
        return process.stderr.write(text);
      },
    },
    stdin: {
      get isTTY() {
        const { isatty } = createRequire(import.meta.url)("node:tty") as typeof import("node:tty");
        return isatty(0);
      },
      readText: (signal) => readStream(process.stdin, signal),
    },
    env: process.env,
    clock: systemClock,
    signal: controller.signal,
  };
}

/** The standard streams a {@link processIo} has written to. */
const written = new Set<NodeJS.WriteStream>();

/**
 * Ends the process with `status` once what {@link processIo} wrote to
 * stdout and stderr has been handed to the system, without waiting for
 * the event loop to run dry: a finished send would otherwise wait for its
 * connection to close, about a millisecond of a one-shot send.
 */
export function exitOnceWritten(status: number): void {
  let pending = written.size + 1;
  const done = (): void => {
    if (--pending === 0) process.exit(status);
  };
  // An empty write calls back after every earlier write to the stream (or on its error).
  for (const stream of written) stream.write("", done);
  done();
}

/** The reason {@link CliIo.signal} aborts with when the user interrupts. */
export class InterruptedError extends Error {
  constructor(readonly signalName: string) {
    super(`interrupted by ${signalName}`);
    this.name = "InterruptedError";
  }
}

function readStream(stream: NodeJS.ReadStream, signal: AbortSignal | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const chunks: Buffer[] = [];
    const onAbort = () => {
      // Destroying the stream releases the handle, so that the process can exit.
      stream.destroy();
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    stream.on("data", (chunk: Buffer | string) => chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk));
    stream.once("error", (error) => {
      signal?.removeEventListener("abort", onAbort);
      reject(error);
    });
    stream.once("end", () => {
      signal?.removeEventListener("abort", onAbort);
      resolve(Buffer.concat(chunks).toString("utf8"));
    });
  });
}
