/**
 * Runs the built `lightweight-push` bin as a user would, with a clean
 * environment (a fresh HOME and XDG_CONFIG_HOME, so the developer's own
 * config file is never read) and checks that no run ever prints the test
 * password or shared secret.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { TEST_PASSWORD, TEST_SECRET } from "./decrypting-push-server.js";

/** The bin as declared in package.json and linked by npm: what users run. */
export const BIN = fileURLToPath(new URL("../../../bin/lightweight-push.cjs", import.meta.url));
/** The bundle the bin loads, made by the root `npm run build`. */
const BUNDLE = fileURLToPath(new URL("../../../dist/cli/lightweight-push.cjs", import.meta.url));

export interface BinResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Extra environment variables. */
  readonly env?: Readonly<Record<string, string>>;
  /** Text piped on stdin; without it stdin is an empty pipe. */
  readonly stdin?: string;
  /** HOME and XDG_CONFIG_HOME; default: a fresh empty directory. */
  readonly home?: string;
}

/** A fresh directory to serve as HOME (and `HOME/.config` as XDG_CONFIG_HOME). */
export function freshHome(): string {
  return mkdtempSync(join(tmpdir(), "lwp-cli-home-"));
}

export function assertBinBuilt(): void {
  assert.ok(existsSync(BUNDLE), `${BUNDLE} is missing: build first (npm run build)`);
}

/** Runs the bin to completion (60 s at most, for a loaded machine). */
export function runBin(args: readonly string[], options: RunOptions = {}): Promise<BinResult> {
  const home = options.home ?? freshHome();
  const env = { PATH: process.env.PATH ?? "", HOME: home, XDG_CONFIG_HOME: join(home, ".config"), ...options.env };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (text: string) => {
      stdout += text;
    });
    child.stderr.setEncoding("utf8").on("data", (text: string) => {
      stderr += text;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", reject);
    child.on("close", (status) => {
      clearTimeout(timer);
      const result = { status, stdout, stderr };
      try {
        assertNoSecrets(result);
      } catch (error) {
        reject(error);
        return;
      }
      resolve(result);
    });
    child.stdin.end(options.stdin ?? "");
  });
}

/**
 * Neither the password nor the shared secret appears in the output, not
 * even masked: the CLI masks secrets as a last resort, so `***` would mean
 * some code tried to print one.
 */
export function assertNoSecrets(result: BinResult): void {
  for (const secret of [TEST_PASSWORD, TEST_SECRET, "***"]) {
    assert.ok(!result.stdout.includes(secret), `stdout shows a secret (${secret}):\n${result.stdout}`);
    assert.ok(!result.stderr.includes(secret), `stderr shows a secret (${secret}):\n${result.stderr}`);
  }
}
