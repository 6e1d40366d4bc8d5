/**
 * PostgreSQL and Redis for the multi-instance tests. The shared ones come
 * from `scripts/ci-services.sh` (LWP_TEST_DATABASE_URL, LWP_TEST_REDIS_URL);
 * tests that stop a service start their own disposable instance on a port
 * chosen by the OS, so the rest of the suite is not disturbed.
 *
 * These tests need real services: when the variables are missing they fail
 * with a message saying how to start them, never skip silently.
 *
 * @module
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chownSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { waitFor } from "../helpers/test-server.js";

const HOW_TO_START = "start the test services first: `source scripts/ci-services.sh && start_ci_services` (as .ci/run does)";

/** The value of a variable `scripts/ci-services.sh` exports; throws a clear error when it is missing. */
export function requireServiceEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") throw new Error(`${name} is not set: ${HOW_TO_START}`);
  return value;
}

/** A free TCP port on 127.0.0.1 (chosen by the OS). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/** The AlertR channel prefix of an account: first 8 hex digits of SHA-256(username). */
export function channelPrefix(username: string): string {
  return createHash("sha256").update(username, "utf8").digest("hex").slice(0, 8);
}

/** A redis-server of one test, restartable on the same port. */
export interface OwnRedis {
  readonly url: string;
  /** Stops the server (SIGTERM) and waits until it has exited. */
  stop(): Promise<void>;
  /** Starts it again on the same port and waits until it answers. */
  start(): Promise<void>;
}

/** Starts a disposable redis-server (no persistence) on a free port. */
export async function startOwnRedis(): Promise<OwnRedis> {
  const binary = process.env.LWP_TEST_REDIS_SERVER || "redis-server";
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    const proc = spawn(binary, ["--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = proc;
    let output = "";
    proc.stdout?.on("data", (d: Buffer) => {
      output += d.toString();
    });
    proc.stderr?.on("data", (d: Buffer) => {
      output += d.toString();
    });
    await waitFor(() => {
      if (proc.exitCode !== null) throw new Error(`redis-server exited: ${output.slice(-500)}`);
      return output.includes("Ready to accept connections");
    });
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      const proc = child;
      if (proc === undefined || proc.exitCode !== null) return;
      const exited = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      await exited;
    },
    start,
  };
}

/** A PostgreSQL cluster of one test, restartable. */
export interface OwnPostgres {
  /** URL of its `postgres` database. */
  readonly url: string;
  /** `pg_ctl stop -m fast`: connections are cut, the server shuts down cleanly. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and removes its data directory. */
  destroy(): Promise<void>;
}

/**
 * Creates and starts a disposable cluster with the binaries next to
 * LWP_TEST_PG_CTL. As root, the tools run as the `postgres` user (initdb
 * refuses root).
 */
export async function startOwnPostgres(): Promise<OwnPostgres> {
  const pgCtl = requireServiceEnv("LWP_TEST_PG_CTL");
  const initdb = join(dirname(pgCtl), "initdb");
  const asRoot = process.getuid?.() === 0;
  const run = (command: string, args: string[]): void => {
    const [file, argv] = asRoot ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, args];
    const result = spawnSync(file, argv, { encoding: "utf8" });
    if (result.status !== 0) throw new Error(`${command} ${args[0] ?? ""} failed: ${result.stderr || result.stdout}`);
  };
  const dataDir = mkdtempSync(join(tmpdir(), "lwp-own-pg-"));
  if (asRoot) chownSync(dataDir, uidOf("postgres"), gidOf("postgres"));
  const port = await freePort();
  run(initdb, ["-D", dataDir, "-A", "trust", "-U", "postgres", "--no-sync"]);
  const start = async (): Promise<void> => {
    run(pgCtl, [
      "-D",
      dataDir,
      "-l",
      join(dataDir, "log"),
      "-o",
      `-p ${port} -k ${dataDir} -c listen_addresses=127.0.0.1 -c max_connections=50`,
      "-w",
      "start",
    ]);
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      run(pgCtl, ["-D", dataDir, "-m", "fast", "-w", "stop"]);
    },
    start,
    async destroy() {
      try {
        run(pgCtl, ["-D", dataDir, "-m", "immediate", "-w", "stop"]);
      } catch {
        // Already stopped.
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function uidOf(user: string): number {
  return Number(spawnSync("id", ["-u", user], { encoding: "utf8" }).stdout.trim());
}

function gidOf(user: string): number {
  return Number(spawnSync("id", ["-g", user], { encoding: "utf8" }).stdout.trim());
}
