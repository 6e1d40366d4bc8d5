/**
 * A {@link CliIo} for running CLI commands in-process: output captured,
 * environment chosen by the test, and a clock whose waits are recorded and
 * end at once, so retry schedules are asserted without waiting.
 */

import type { CliIo } from "../../../src/cli/io.js";
import type { Clock } from "../../../src/client/clock.js";

export interface TestIo extends CliIo {
  readonly out: () => string;
  readonly err: () => string;
  /** Every wait requested, in milliseconds. */
  readonly sleepsMs: number[];
  readonly abort: (reason?: unknown) => void;
}

export function testIo(options: { env?: Record<string, string>; stdin?: string; blockSleeps?: boolean } = {}): TestIo {
  let out = "";
  let err = "";
  let nowMs = Date.UTC(2026, 0, 1);
  const sleepsMs: number[] = [];
  const controller = new AbortController();
  const clock: Clock = {
    nowMs: () => nowMs,
    sleep: (ms, signal) => {
      if (signal?.aborted) return Promise.reject(signal.reason);
      sleepsMs.push(ms);
      if (options.blockSleeps) {
        return new Promise((_resolve, reject) => signal?.addEventListener("abort", () => reject(signal.reason), { once: true }));
      }
      nowMs += ms;
      return Promise.resolve();
    },
  };
  return {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    stdin: { isTTY: options.stdin === undefined, readText: async () => options.stdin ?? "" },
    env: { HOME: "/nonexistent-home", XDG_CONFIG_HOME: "/nonexistent-home/.config", ...options.env },
    clock,
    signal: controller.signal,
    out: () => out,
    err: () => err,
    sleepsMs,
    abort: (reason) => controller.abort(reason),
  };
}
