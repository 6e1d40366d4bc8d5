import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";

const run = promisify(execFile);
const root = new URL("../..", import.meta.url).pathname;

test("npm start's demo: a fresh data directory, a message in each envelope sent, received and decrypted; secrets stay in a private file", async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "lwp-demo-"));
  try {
    const { stdout, stderr } = await run(process.execPath, ["scripts/demo.mjs", "--once", "--port", "0", "--data-dir", dataDir], {
      cwd: root,
      timeout: 60_000,
    });
    assert.match(stdout, /push server listening on http:\/\/127\.0\.0\.1:\d+/);
    assert.match(stdout, /received #\d+ \(envelope v1, normal\): Demo \| Hello from envelope v1/);
    assert.match(stdout, /received #\d+ \(envelope v2, TRIGGERED\): Demo \| Hello from envelope v2/);
    const account = JSON.parse(await readFile(join(dataDir, "demo-account.json"), "utf8")) as Record<string, string>;
    assert.equal((await stat(join(dataDir, "demo-account.json"))).mode & 0o077, 0, "the credentials file is private");
    for (const secret of [account.password, account.sharedSecret]) {
      assert.ok(secret && !stdout.includes(secret) && !stderr.includes(secret), "no secret on the console");
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
