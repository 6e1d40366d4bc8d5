/**
 * Running the `lightweight-push-server` command as a child process (from
 * source, through tsx), for CLI and restart tests.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { fixtureDatabaseUrl } from "./postgres-factory.js";
import type { StorageFixture } from "./storage-factories.js";
import { waitFor } from "./test-server.js";

const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));

/**
 * The environment that points the command at `fixture`'s database: its data
 * directory, and on PostgreSQL its URL with the fixture's schema. In the
 * environment, not argv: a database URL may carry a password.
 */
export function cliStorageEnv(fixture: StorageFixture): NodeJS.ProcessEnv {
  const databaseUrl = fixtureDatabaseUrl(fixture);
  return {
    LWP_SERVER_DATA_DIR: fixture.dataDir,
    ...(databaseUrl === undefined ? {} : { LWP_SERVER_DATABASE_URL: databaseUrl }),
  };
}

/** Result of a finished command. */
export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the command to completion, feeding `stdin` (e.g. a password). */
export function runCli(args: readonly string[], options: { stdin?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], {
      env: { ...process.env, ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => {
      stdout += c;
    });
    child.stderr.setEncoding("utf8").on("data", (c: string) => {
      stderr += c;
    });
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(options.stdin ?? "");
  });
}

/** A server started with the command. */
export interface CliServer {
  readonly child: ChildProcess;
  readonly url: string;
  /** Everything written to stdout so far (JSON log lines). */
  stdout(): string;
  /** Resolves with the exit code once the process ended. */
  readonly exited: Promise<number | null>;
}

/** Starts `lightweight-push-server start` and waits for its "listening" log line. */
export async function startCliServer(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliServer> {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN, "start", "--host", "127.0.0.1", "--port", "0", ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  child.stdout?.setEncoding("utf8").on("data", (c: string) => {
    stdout += c;
  });
  child.stderr?.setEncoding("utf8").on("data", (c: string) => {
    stdout += c;
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const url = await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`server exited early:\n${stdout}`);
    for (const line of stdout.split("\n")) {
      if (!line.includes('"listening"')) continue;
      const parsed = JSON.parse(line) as { url?: string };
      if (parsed.url !== undefined) return parsed.url;
    }
    return undefined;
  }, 30_000);
  return { child, url, stdout: () => stdout, exited };
}
