/**
 * The real `lightweight-push-server` (built package) in a child process, so
 * that a test can kill it outright and start it again on the same port and
 * data directory, as a crash and restart would.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "./listen-helpers.js";

const ROOT = new URL("../../../../", import.meta.url).pathname;

// Plain JavaScript run with `node -e`: creates the account once (password from
// the environment, never argv), then serves until SIGTERM (graceful) or SIGKILL.
const RUNNER = `
import { join } from "node:path";
import { createServer, hashPassword, openSqliteStorage, resolveConfig, SQLITE_FILE_NAME } from "lightweight-push-server";
const env = process.env;
const config = resolveConfig({ host: "127.0.0.1", port: Number(env.LWP_TEST_PORT), dataDir: env.LWP_TEST_DATA_DIR, webRoot: "", logLevel: "warn", bcryptCost: 4 });
if (env.LWP_TEST_ACCOUNT) {
  const storage = openSqliteStorage({ path: join(config.dataDir, SQLITE_FILE_NAME) });
  await storage.addAccount({ username: env.LWP_TEST_ACCOUNT, passwordHash: await hashPassword(env.LWP_TEST_PASSWORD, 4), createdAtMs: Date.now() });
  await storage.close();
}
const server = await createServer(config);
const url = await server.listen();
process.stdout.write("READY " + url + "\\n");
process.on("SIGTERM", () => server.close().then(() => process.exit(0)));
`;

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

export class RealPushServer {
  readonly dataDir = mkdtempSync(join(tmpdir(), "lwp-listen-server-"));
  port = 0;
  #child: ChildProcess | undefined;
  output = "";

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get sendEndpoint(): string {
    return `${this.url}/push/send.php`;
  }

  /** Starts the server; the first start creates the account. */
  async start(account?: { username: string; password: string }): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    this.output = "";
    const child = spawn(process.execPath, ["--input-type=module", "-e", RUNNER], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        LWP_TEST_PORT: String(this.port),
        LWP_TEST_DATA_DIR: this.dataDir,
        ...(account ? { LWP_TEST_ACCOUNT: account.username, LWP_TEST_PASSWORD: account.password } : {}),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.#child = child;
    child.stdout!.setEncoding("utf8").on("data", (t: string) => {
      this.output += t;
    });
    child.stderr!.setEncoding("utf8").on("data", (t: string) => {
      this.output += t;
    });
    let exited = false;
    child.on("exit", () => {
      exited = true;
    });
    await waitFor(
      () => this.output.includes("READY ") || exited,
      () => `server start\n${this.output}`,
    );
    if (!this.output.includes("READY ")) throw new Error(`server did not start:\n${this.output}`);
  }

  /** Kills the server outright (SIGKILL), as a crash would. */
  async kill(): Promise<void> {
    await this.#stop("SIGKILL");
  }

  /** Stops the server gracefully (SIGTERM). */
  async stop(): Promise<void> {
    await this.#stop("SIGTERM");
  }

  async #stop(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill(signal);
    await exited;
  }
}
