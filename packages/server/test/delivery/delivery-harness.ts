/**
 * Shared set-up of the delivery tests: a manual clock for the outbox, a
 * server with the delivery extension on a database of one storage factory
 * (a temp-dir SQLite file, or a fresh PostgreSQL schema; either survives
 * restarts), and sending through the real send route.
 *
 * On PostgreSQL the server is configured with the fixture's database URL
 * (`?schema=`), so the delivery extension picks the PostgreSQL delivery
 * store exactly as a server started with `--database-url` does.
 *
 * @module
 */
import type { ServerConfig } from "../../src/config/config.js";
import type { DeliveryStore } from "../../src/delivery/delivery-store.js";
import { createDeliveryExtension, type DeliveryExtension, type DeliveryExtensionOptions } from "../../src/delivery/index.js";
import type { DeliveryClock } from "../../src/delivery/retry-policy.js";
import { openSqliteDeliveryStore } from "../../src/delivery/sqlite-delivery-store.js";
import { openPostgresDeliveryStore } from "../../src/storage/postgres/postgres-delivery-store.js";
import { SQLITE_FILE_NAME } from "../../src/storage/sqlite/sqlite-storage.js";
import { fixtureDatabaseUrl } from "../helpers/postgres-factory.js";
import type { StorageFactory, StorageFixture } from "../helpers/storage-factories.js";
import { addTestAccount, formBody, pythonFrame, startTestServer, type TestServer } from "../helpers/test-server.js";

/** A clock that moves only when told; timers fire when their time is reached. */
export class ManualClock implements DeliveryClock {
  #nowMs: number;
  #nextId = 1;
  readonly #timers = new Map<number, { dueMs: number; callback: () => void }>();

  constructor(startMs = 1_764_860_000_000) {
    this.#nowMs = startMs;
  }

  readonly now = (): number => this.#nowMs;

  setTimer(callback: () => void, delayMs: number): unknown {
    const id = this.#nextId++;
    this.#timers.set(id, { dueMs: this.#nowMs + Math.max(0, delayMs), callback });
    return id;
  }

  clearTimer(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Moves time forward and fires the timers that became due, in order. */
  advance(ms: number): void {
    this.#nowMs += ms;
    const due = [...this.#timers].filter(([, t]) => t.dueMs <= this.#nowMs).sort((a, b) => a[1].dueMs - b[1].dueMs);
    for (const [id, timer] of due) {
      this.#timers.delete(id);
      timer.callback();
    }
  }

  /** When the earliest pending timer fires, ms from now; `undefined` without timers. */
  nextTimerInMs(): number | undefined {
    const times = [...this.#timers.values()].map((t) => t.dueMs - this.#nowMs);
    return times.length === 0 ? undefined : Math.min(...times);
  }
}

export const USERNAME = "my_email@alertr.de";
export const PASSWORD = "account-password-for-tests";
export const SHARED_SECRET = "shared secret only the devices know";

/** A server with delivery, restartable on the same database (and data directory). */
export class DeliveryTestBed {
  readonly fixture: StorageFixture;
  readonly clock: ManualClock;
  #server: TestServer | undefined;
  #delivery: DeliveryExtension | undefined;

  private constructor(fixture: StorageFixture, clock: ManualClock) {
    this.fixture = fixture;
    this.clock = clock;
  }

  /** A fresh database of `factory` with one account. */
  static async create(factory: StorageFactory, clock = new ManualClock()): Promise<DeliveryTestBed> {
    const fixture = await factory.create();
    const storage = await fixture.open();
    await addTestAccount(storage, USERNAME, PASSWORD, { acl: [0] });
    await storage.close();
    return new DeliveryTestBed(fixture, clock);
  }

  /** Starts (or restarts) the server listening on 127.0.0.1. */
  async start(config: Partial<ServerConfig>, options: DeliveryExtensionOptions = {}): Promise<TestServer> {
    if (this.#server !== undefined) throw new Error("already running");
    this.#delivery = createDeliveryExtension({ clock: this.clock, requestTimeoutMs: 10_000, ...options });
    this.#server = await startTestServer(this.fixture, {
      config: this.serverConfig(config),
      deps: { extensions: [this.#delivery], now: this.clock.now },
      listen: true,
    });
    return this.#server;
  }

  /** `config` plus what selects this bed's database (the PostgreSQL URL with its schema); for other servers on it. */
  serverConfig(config: Partial<ServerConfig>): Partial<ServerConfig> {
    const databaseUrl = fixtureDatabaseUrl(this.fixture);
    return databaseUrl === undefined ? config : { ...config, databaseUrl };
  }

  get server(): TestServer {
    if (this.#server === undefined) throw new Error("not running");
    return this.#server;
  }

  get delivery(): DeliveryExtension {
    if (this.#delivery === undefined) throw new Error("not running");
    return this.#delivery;
  }

  /** Waits until the outbox has nothing in flight. */
  async settled(): Promise<void> {
    await this.delivery.settled();
  }

  /** Stops the server (gracefully: attempts in flight finish and are recorded). */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    await server?.close();
  }

  /** Opens the delivery tables directly (for assertions); close it after. */
  async openStore(): Promise<DeliveryStore> {
    const databaseUrl = fixtureDatabaseUrl(this.fixture);
    if (databaseUrl !== undefined) return openPostgresDeliveryStore({ url: databaseUrl, maxConnections: 1 });
    return openSqliteDeliveryStore({ path: `${this.fixture.dataDir}/${SQLITE_FILE_NAME}` });
  }

  /** Sends a raw frame through `POST /push/send.php`; resolves with the reply's `Code`. */
  async sendRaw(channel: string, data: string): Promise<number> {
    const response = await fetch(`${this.server.url}/push/send.php`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: formBody(pythonFrame({ username: USERNAME, password: PASSWORD, channel, data })),
    });
    const body = (await response.json()) as { Code?: number; code?: number };
    return body.Code ?? body.code ?? -1;
  }

  async close(): Promise<void> {
    await this.stop();
    await this.fixture.cleanup();
  }
}

/** A printable payload of `length` characters, standing in for a sealed envelope. */
export function fakeEnvelope(length: number, seed = "A"): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  let out = "";
  for (let i = 0; out.length < length; i++) out += alphabet[(i * 7 + seed.charCodeAt(0)) % alphabet.length];
  return out;
}
