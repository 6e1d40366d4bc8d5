/**
 * Runs the built `lightweight-push listen` as a child process, as a user
 * would, and waits (polling, bounded) for what it prints.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The bin as npm links it (it loads the bundle `npm run build` makes); `npm test` builds before testing. */
export const BIN = new URL("../../bin/lightweight-push.cjs", import.meta.url).pathname;

export const USERNAME = "listener@example.org";
export const SECRET = "correct horse battery staple";

/** Polls `condition` until it holds or `timeoutMs` passes; then fails with `describe()`. */
export async function waitFor(condition: () => boolean, describe: () => string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export class ListenProcess {
  readonly child: ChildProcess;
  stdout = "";
  stderr = "";
  exitCode: number | null | undefined;
  readonly #exited: Promise<number | null>;

  /**
   * Starts `lightweight-push listen ARGS`. The shared secret travels in the
   * environment, never in argv; HOME points at an empty directory so that no
   * config file of the machine is read.
   */
  constructor(args: readonly string[], env: Readonly<Record<string, string>> = {}) {
    const home = mkdtempSync(join(tmpdir(), "lwp-listen-home-"));
    this.child = spawn(process.execPath, [BIN, "listen", ...args], {
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: home,
        TZ: "UTC",
        LIGHTWEIGHT_PUSH_USERNAME: USERNAME,
        LIGHTWEIGHT_PUSH_SHARED_SECRET: SECRET,
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child.stdout!.setEncoding("utf8").on("data", (t: string) => {
      this.stdout += t;
    });
    this.child.stderr!.setEncoding("utf8").on("data", (t: string) => {
      this.stderr += t;
    });
    this.#exited = new Promise((resolve) =>
      this.child.on("exit", (code) => {
        this.exitCode = code;
        rmSync(home, { recursive: true, force: true });
        resolve(code);
      }),
    );
  }

  /** Waits until stdout (or stderr) satisfies `test`. */
  async waitFor(test: (out: { stdout: string; stderr: string }) => boolean, what: string, timeoutMs?: number): Promise<void> {
    await waitFor(
      () => test({ stdout: this.stdout, stderr: this.stderr }),
      () => `${what}\n--- stdout ---\n${this.stdout}\n--- stderr ---\n${this.stderr}`,
      timeoutMs,
    );
  }

  /** Waits for the INFO line that says every channel is subscribed (needs `-l INFO`). */
  async waitListening(channels = 1): Promise<void> {
    await this.waitFor(({ stderr }) => (stderr.match(/listening on channel/g) ?? []).length >= channels, "listening");
  }

  /** Resolves with the exit code once the process ended (at most `timeoutMs`). */
  async exited(timeoutMs = 20_000): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`did not exit\n${this.stderr}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.#exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends `signal` and waits for the exit code. */
  async stop(signal: NodeJS.Signals = "SIGINT"): Promise<number | null> {
    if (this.exitCode === undefined) this.child.kill(signal);
    return this.exited();
  }

  /** Kills the process if the test left it running. */
  kill(): void {
    if (this.exitCode === undefined) this.child.kill("SIGKILL");
  }
}
