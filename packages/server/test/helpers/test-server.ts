/**
 * Starting a server in-process for tests, on any storage factory.
 *
 * @module
 */
import { Writable } from "node:stream";
import { hashPassword } from "../../src/auth/password.js";
import type { ServerConfig } from "../../src/config/config.js";
import { resolveConfig } from "../../src/config/load.js";
import { createServer, type PushServer, type ServerDependencies } from "../../src/server.js";
import type { Storage } from "../../src/storage/storage.js";
import type { StorageFactory, StorageFixture } from "./storage-factories.js";

/** A controllable clock for tests: starts at a fixed time, moves only when told. */
export class TestClock {
  constructor(public nowMs = 1_764_860_000_000) {}
  readonly now = (): number => this.nowMs;
  advance(ms: number): void {
    this.nowMs += ms;
  }
}

/** A server under test and its storage. */
export interface TestServer {
  readonly server: PushServer;
  readonly storage: Storage;
  readonly config: ServerConfig;
  /** Log lines written so far (JSON strings). */
  readonly logs: string[];
  /** Base URL when started with `listen: true`. */
  readonly url: string | undefined;
  /** Stops the server (closing the storage). */
  close(): Promise<void>;
}

/** Options of {@link startTestServer}. */
export interface StartTestServerOptions {
  /** Config overrides; port defaults to 0, host 127.0.0.1, web root off, limits off, bcrypt cost 4. */
  readonly config?: Partial<ServerConfig>;
  /** Dependencies other than storage (clock, counters, extensions, ...). */
  readonly deps?: Omit<ServerDependencies, "storage" | "logStream">;
  /** Listen on a real socket. @default false (use `server.app.inject`) */
  readonly listen?: boolean;
}

/**
 * Opens a storage from `fixture` and starts a server on it.
 *
 * @example
 * const fixture = await factory.create();
 * const t = await startTestServer(fixture, { listen: true });
 * ...
 * await t.close(); await fixture.cleanup();
 */
export async function startTestServer(fixture: StorageFixture, options: StartTestServerOptions = {}): Promise<TestServer> {
  const config = resolveConfig({
    host: "127.0.0.1",
    port: 0,
    dataDir: fixture.dataDir,
    webRoot: "",
    logLevel: "info",
    bcryptCost: 4,
    accountSendsPerWindow: 0,
    addressSendsPerWindow: 0,
    ...options.config,
  });
  const storage = await fixture.open();
  const { logs, logStream } = collectLogLines();
  const server = await createServer(config, { ...options.deps, storage, logStream });
  const url = options.listen === true ? await server.listen() : undefined;
  return { server, storage, config, logs, url, close: () => server.close() };
}

/** Adds an account with a cheap bcrypt hash. */
export async function addTestAccount(
  storage: Storage,
  username: string,
  password: string,
  options: { acl?: number[]; active?: boolean } = {},
): Promise<void> {
  await storage.addAccount({
    username,
    passwordHash: await hashPassword(password, 4),
    acl: options.acl ?? [],
    active: options.active ?? true,
    createdAtMs: Date.now(),
  });
}

/** Runs `body` with a fresh fixture of `factory`, cleaning up afterwards. */
export async function withFixture<T>(factory: StorageFactory, body: (fixture: StorageFixture) => Promise<T>): Promise<T> {
  const fixture = await factory.create();
  try {
    return await body(fixture);
  } finally {
    await fixture.cleanup();
  }
}

/** A form body with one `data` field, as the client sends it. */
export function formBody(frame: string): string {
  return new URLSearchParams({ data: frame }).toString();
}

/** A frame as the Python client writes it. */
export function pythonFrame(fields: { username: string; password: string; channel: string; data: string; version?: string }): string {
  const q = (s: string): string => JSON.stringify(s);
  return `{"username": ${q(fields.username)}, "password": ${q(fields.password)}, "channel": ${q(fields.channel)}, "version": ${fields.version ?? "0.1"}, "data": ${q(fields.data)}}`;
}

/** Polls `check` until it returns a value other than `undefined`/`false`, or fails after `timeoutMs`. */
export async function waitFor<T>(check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A stream for the server's JSON log, and the lines written to it so far. */
export function collectLogLines(): { logs: string[]; logStream: Writable } {
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(
        ...chunk
          .toString("utf8")
          .split("\n")
          .filter((line) => line !== ""),
      );
      done();
    },
  });
  return { logs, logStream };
}
