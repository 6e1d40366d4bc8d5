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
import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chownSync, mkdtempSync, rmSync } from "node:fs";
import { type ClientRequest, request as httpRequest } from "node:http";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import type { ServerConfig } from "../../src/config/config.js";
import { resolveConfig } from "../../src/config/load.js";
import { createServer, type PushServer, type ServerDependencies } from "../../src/server.js";
import { collectLogLines, waitFor } from "../helpers/test-server.js";

const execFileAsync = promisify(execFile);

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
    const server = createNetServer();
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
  // Asynchronous: the servers under test run in this process and must keep serving meanwhile.
  const run = async (command: string, args: string[]): Promise<void> => {
    const [file, argv] = asRoot ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, args];
    try {
      await execFileAsync(file, argv, { encoding: "utf8" });
    } catch (error) {
      const e = error as { stderr?: string; stdout?: string; message: string };
      throw new Error(`${command} failed: ${e.stderr || e.stdout || e.message}`);
    }
  };
  const dataDir = mkdtempSync(join(tmpdir(), "lwp-own-pg-"));
  if (asRoot) chownSync(dataDir, uidOf("postgres"), gidOf("postgres"));
  const port = await freePort();
  await run(initdb, ["-D", dataDir, "-A", "trust", "-U", "postgres", "--no-sync"]);
  const start = async (): Promise<void> => {
    await run(pgCtl, [
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
      await run(pgCtl, ["-D", dataDir, "-m", "fast", "-w", "stop"]);
    },
    start,
    async destroy() {
      try {
        await run(pgCtl, ["-D", dataDir, "-m", "immediate", "-w", "stop"]);
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

/** One server-sent event as a subscriber sees it. */
export interface ReceivedEvent {
  readonly id: number;
  readonly payload: string;
}

/**
 * An SSE subscriber that behaves like `EventSource`: when its stream ends it
 * reconnects with `Last-Event-ID` set to the last id it received, until
 * {@link ResumingSubscriber.stop}. `urls` are tried in turn on reconnects
 * (several instances behind a load balancer).
 */
export class ResumingSubscriber {
  readonly events: ReceivedEvent[] = [];
  /** Streams opened so far (1 + reconnects). */
  connections = 0;
  #stopped = false;
  #current: ClientRequest | undefined;
  readonly #done: Promise<void>;

  constructor(
    readonly urls: readonly string[],
    readonly channel: string,
    options: { since?: string } = {},
  ) {
    this.#done = this.#run(options.since);
  }

  // Declared before `opened`, whose initializer replaces it.
  #onOpen: () => void = () => {};
  /** Resolves once the first stream is open (the server wrote its `: connected` comment). */
  readonly opened: Promise<void> = new Promise((resolve) => {
    this.#onOpen = resolve;
  });

  get lastId(): number {
    return this.events.at(-1)?.id ?? 0;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#current?.destroy();
    await this.#done;
  }

  async #run(since: string | undefined): Promise<void> {
    let attempt = 0;
    while (!this.#stopped) {
      const base = this.urls[attempt % this.urls.length]!;
      attempt++;
      const url = new URL(`/v1/channels/${encodeURIComponent(this.channel)}/events`, base);
      const headers: Record<string, string> = { accept: "text/event-stream" };
      if (this.events.length > 0) headers["last-event-id"] = String(this.lastId);
      else if (since !== undefined) url.searchParams.set("since", since);
      await new Promise<void>((resolve) => {
        const req = httpRequest(url, { headers }, (res) => {
          if (res.statusCode !== 200) {
            res.resume();
            res.on("end", resolve);
            return;
          }
          this.connections++;
          res.setEncoding("utf8");
          let buffer = "";
          res.on("data", (chunk: string) => {
            buffer += chunk;
            let end = buffer.indexOf("\n\n");
            while (end >= 0) {
              this.#handle(buffer.slice(0, end));
              buffer = buffer.slice(end + 2);
              end = buffer.indexOf("\n\n");
            }
          });
          res.on("close", resolve);
          res.on("error", resolve);
        });
        req.on("error", () => resolve());
        req.end();
        this.#current = req;
      });
      if (!this.#stopped) await new Promise((r) => setTimeout(r, 100));
    }
  }

  #handle(block: string): void {
    if (block.startsWith(": connected")) this.#onOpen();
    let id: number | undefined;
    let data: string | undefined;
    for (const line of block.split("\n")) {
      if (line.startsWith("id: ")) id = Number(line.slice(4));
      else if (line.startsWith("data: ")) data = line.slice(6);
    }
    if (id === undefined || data === undefined) return;
    const parsed = JSON.parse(data) as { id: number; payload: string };
    if (parsed.id !== id) throw new Error(`event id ${id} differs from data id ${parsed.id}`);
    this.events.push({ id, payload: parsed.payload });
  }
}

/** Sends one frame as the web bridge client does; returns the result code (HTTP 429 counts as 10, retryable). */
export async function sendFrame(
  baseUrl: string,
  fields: { username: string; password: string; channel: string; data: string },
): Promise<number> {
  const q = (s: string): string => JSON.stringify(s);
  const frame = `{"username": ${q(fields.username)}, "password": ${q(fields.password)}, "channel": ${q(fields.channel)}, "version": 0.1, "data": ${q(fields.data)}}`;
  let response: Response;
  try {
    response = await fetch(new URL("/push/send.php", baseUrl), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ data: frame }).toString(),
    });
  } catch {
    return 0x1000; // CLIENT_CONNECTION_ERROR
  }
  const text = await response.text();
  if (response.status !== 200) return 10;
  const body = JSON.parse(text) as { Code?: number; code?: number };
  return body.Code ?? body.code ?? 10;
}

/** A server built from configuration only, as `lightweight-push-server start` builds it. */
export interface ConfiguredServer {
  readonly server: PushServer;
  readonly url: string;
  readonly logs: string[];
  close(): Promise<void>;
}

/** Starts a server from config overrides (port 0, loopback, web root off, limits off, bcrypt cost 4) on a real socket. */
export async function startConfiguredServer(
  overrides: Partial<ServerConfig>,
  deps: Pick<ServerDependencies, "extensions"> = {},
): Promise<ConfiguredServer> {
  const { logs, logStream } = collectLogLines();
  const config = resolveConfig({
    host: "127.0.0.1",
    port: 0,
    webRoot: "",
    bcryptCost: 4,
    accountSendsPerWindow: 0,
    addressSendsPerWindow: 0,
    ...overrides,
  });
  const server = await createServer(config, { ...deps, logStream });
  const url = await server.listen();
  return { server, url, logs, close: () => server.close() };
}

/**
 * Waits until `subscriber` has every payload of `acknowledged`, then checks
 * it got none twice and in id order. Messages beyond `acknowledged` are
 * allowed: a commit whose answer was lost (connection cut after COMMIT) is
 * answered with a retryable code, yet cached and delivered.
 */
export async function assertReceivedAll(subscriber: ResumingSubscriber, acknowledged: readonly string[]): Promise<void> {
  const missing = (): string[] => {
    const received = new Set(subscriber.events.map((e) => e.payload));
    return acknowledged.filter((p) => !received.has(p));
  };
  await waitFor(() => missing().length === 0).catch(() => {
    throw new Error(`subscriber lacks ${missing().length} acknowledged messages, e.g. ${missing().slice(0, 5).join(", ")}`);
  });
  const ids = subscriber.events.map((e) => e.id);
  if (new Set(ids).size !== ids.length) throw new Error("a message was delivered twice");
  for (let i = 1; i < ids.length; i++) {
    if (ids[i]! <= ids[i - 1]!) throw new Error(`ids out of order: ${ids[i - 1]} then ${ids[i]}`);
  }
}
