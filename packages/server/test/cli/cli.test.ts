import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { verifyPassword } from "../../src/auth/password.js";
import { type CliResult, cliStorageEnv, runCli as runCliProcess, startCliServer } from "../helpers/cli-process.js";
import { fixtureDatabaseUrl } from "../helpers/postgres-factory.js";
import { type StorageFixture, storageFactories } from "../helpers/storage-factories.js";
import { formBody, pythonFrame } from "../helpers/test-server.js";

for (const factory of storageFactories()) {
  describe(`lightweight-push-server command (${factory.name})`, () => {
    let fixture: StorageFixture;
    let dataDir: string;
    // The data directory is given as --data-dir below; on PostgreSQL the URL (with the schema) comes from the environment.
    const databaseEnv = (): NodeJS.ProcessEnv => {
      const url = fixtureDatabaseUrl(fixture);
      return url === undefined ? {} : { LWP_SERVER_DATABASE_URL: url };
    };
    const runCli = (args: readonly string[], options: { stdin?: string } = {}): Promise<CliResult> =>
      runCliProcess(args, { ...options, env: databaseEnv() });
    const account = async (username: string) => {
      const storage = await fixture.open();
      try {
        return await storage.getAccount(username);
      } finally {
        await storage.close();
      }
    };

    before(async () => {
      fixture = await factory.create();
      dataDir = fixture.dataDir;
    });
    after(async () => {
      await fixture.cleanup();
    });

    it("adds, lists, disables, enables and re-passwords accounts, with passwords only from stdin", async () => {
      const add = await runCli(["user", "add", "alice@example.org", "--password-stdin", "--data-dir", dataDir, "--bcrypt-cost", "4"], {
        stdin: "first password\n",
      });
      assert.equal(add.status, 0, add.stderr);
      assert.ok(await verifyPassword("first password", (await account("alice@example.org"))?.passwordHash ?? ""));

      const again = await runCli(["user", "add", "alice@example.org", "--password-stdin", "--data-dir", dataDir], { stdin: "x\n" });
      assert.equal(again.status, 1);
      assert.match(again.stderr, /already exists/);

      assert.equal((await runCli(["user", "disable", "alice@example.org", "--data-dir", dataDir])).status, 0);
      assert.equal((await account("alice@example.org"))?.active, false);
      const list = await runCli(["user", "list", "--data-dir", dataDir]);
      assert.match(list.stdout, /alice@example\.org\s+disabled\s+-/);
      assert.equal((await runCli(["user", "enable", "alice@example.org", "--data-dir", dataDir])).status, 0);
      assert.equal((await account("alice@example.org"))?.active, true);

      const passwd = await runCli(
        ["user", "passwd", "alice@example.org", "--password-stdin", "--data-dir", dataDir, "--bcrypt-cost", "4"],
        {
          stdin: "second password\n",
        },
      );
      assert.equal(passwd.status, 0, passwd.stderr);
      const hash = (await account("alice@example.org"))?.passwordHash ?? "";
      assert.ok(await verifyPassword("second password", hash));
      assert.ok(!(await verifyPassword("first password", hash)));
      for (const output of [add, passwd, list]) assert.ok(!`${output.stdout}${output.stderr}`.includes("password\n"));

      assert.equal((await runCli(["user", "disable", "nobody@example.org", "--data-dir", dataDir])).status, 67);
    });

    it("grants and revokes the notification ACL", async () => {
      assert.equal((await runCli(["acl", "grant", "alice@example.org", "notification", "--data-dir", dataDir])).status, 0);
      assert.deepEqual((await account("alice@example.org"))?.acl, [0]);
      assert.match((await runCli(["user", "list", "--data-dir", dataDir])).stdout, /alice@example\.org\s+active\s+notification/);
      assert.equal((await runCli(["acl", "revoke", "alice@example.org", "notification", "--data-dir", dataDir])).status, 0);
      assert.deepEqual((await account("alice@example.org"))?.acl, []);
      const unknown = await runCli(["acl", "grant", "alice@example.org", "root", "--data-dir", dataDir]);
      assert.equal(unknown.status, 64);
      assert.match(unknown.stderr, /unknown ACL/);
    });

    it("refuses to prompt without a terminal and rejects unknown options with usage status 64", async () => {
      const noTty = await runCli(["user", "add", "bob@example.org", "--data-dir", dataDir]);
      assert.equal(noTty.status, 64);
      assert.match(noTty.stderr, /--password-stdin/);
      assert.equal(await account("bob@example.org"), undefined);
      assert.equal((await runCli(["--no-such-flag"])).status, 64);
      const help = await runCli(["--help"]);
      assert.equal(help.status, 0);
      assert.match(help.stdout, /Examples:[\s\S]*--data-dir VALUE[\s\S]*LWP_SERVER_DATA_DIR/);
    });

    it("starts from environment settings, serves sends and stops cleanly on SIGTERM", async () => {
      const server = await startCliServer([], { ...cliStorageEnv(fixture), LWP_SERVER_LOG_LEVEL: "info" });
      const body = formBody(
        pythonFrame({ username: "alice@example.org", password: "second password", channel: "0123abcd_cli", data: "AAAA" }),
      );
      const reply = await fetch(`${server.url}/push/send.php`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body,
      });
      assert.equal(await reply.text(), '{"Code": 0}');

      // Account changes made by the command while the server runs take effect at once.
      const sendAs = async (password: string) => {
        const response = await fetch(`${server.url}/push/send.php`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: formBody(pythonFrame({ username: "alice@example.org", password, channel: "0123abcd_cli", data: "AAAA" })),
        });
        return ((await response.json()) as { Code: number }).Code;
      };
      const passwd = await runCli(
        ["user", "passwd", "alice@example.org", "--password-stdin", "--data-dir", dataDir, "--bcrypt-cost", "4"],
        {
          stdin: "third password\n",
        },
      );
      assert.equal(passwd.status, 0, passwd.stderr);
      assert.equal(await sendAs("second password"), 2);
      assert.equal(await sendAs("third password"), 0);
      assert.equal((await runCli(["user", "disable", "alice@example.org", "--data-dir", dataDir])).status, 0);
      assert.equal(await sendAs("third password"), 2);
      assert.equal((await runCli(["user", "enable", "alice@example.org", "--data-dir", dataDir])).status, 0);
      assert.equal(await sendAs("third password"), 0);
      server.child.kill("SIGTERM");
      assert.equal(await server.exited, 0);
      const logs = server.stdout();
      assert.match(logs, /"msg":"listening"/);
      assert.match(logs, /"msg":"server stopped"/);
      assert.ok(!logs.includes("second password") && !logs.includes("third password"));
    });
  });
}
