/**
 * The real `lightweight-push-server` (its built bin) in a child process, so
 * that a test can kill it outright and start it again on the same port and
 * data directory, as a crash and restart would.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "../../../packages/lightweightpush/test/cli/listen-helpers.js";

/** The server's built bin, run as its users run it. */
const SERVER_BIN = new URL("../../../packages/server/dist/cli/main.js", import.meta.url).pathname;

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

  /** Creates an account with `user add --password-stdin` (the password never on the command line). */
  async addAccount(username: string, password: string): Promise<void> {
    const child = spawn(
      process.execPath,
      [SERVER_BIN, "user", "add", username, "--password-stdin", "--data-dir", this.dataDir, "--bcrypt-cost", "4"],
      {
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (t: string) => {
      output += t;
    });
    child.stderr.setEncoding("utf8").on("data", (t: string) => {
      output += t;
    });
    child.stdin.end(`${password}\n`);
    const code = await new Promise((resolve) => child.on("exit", resolve));
    if (code !== 0) throw new Error(`user add failed (${code}):\n${output}`);
  }

  /** Starts `lightweight-push-server start` on this data directory (and the same port as before). */
  async start(): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    this.output = "";
    const args = ["start", "--data-dir", this.dataDir, "--host", "127.0.0.1", "--port", String(this.port), "--web-root", ""];
    const child = spawn(process.execPath, [SERVER_BIN, ...args], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
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
    const ready = () => this.output.includes('"msg":"listening"');
    await waitFor(
      () => ready() || exited,
      () => `server start\n${this.output}`,
    );
    if (!ready()) throw new Error(`server did not start:\n${this.output}`);
  }

  /** Kills the server outright (SIGKILL), as a crash would. */
  async kill(): Promise<void> {
    await this.#stop("SIGKILL");
  }

  /** Stops the server gracefully (SIGTERM). */
  async stop(): Promise<void> {
    await this.#stop("SIGTERM");
  }

  /** Stops the server and deletes its data directory. */
  async dispose(): Promise<void> {
    await this.#stop("SIGTERM");
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  async #stop(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill(signal);
    await exited;
  }
}
