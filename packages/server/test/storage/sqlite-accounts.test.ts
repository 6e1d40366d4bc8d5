import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import Database from "better-sqlite3";
import { openSqliteStorage, SQLITE_FILE_NAME, type SqliteStorage } from "../../src/storage/sqlite/sqlite-storage.js";

/** Two storages on one database, as the server and the `user` command have; closed and removed afterwards. */
async function withTwoStorages(
  accountCacheMs: number,
  run: (server: SqliteStorage, command: SqliteStorage, path: string) => Promise<void>,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "lwp-accounts-"));
  const path = join(dir, SQLITE_FILE_NAME);
  const server = openSqliteStorage({ path, accountCacheMs, writerThread: false });
  const command = openSqliteStorage({ path, writerThread: false });
  try {
    await server.addAccount({ username: "a@example.org", passwordHash: "$2b$04$first", createdAtMs: 1 });
    await run(server, command, path);
  } finally {
    await server.close();
    await command.close();
    await rm(dir, { recursive: true, force: true });
  }
}

describe("account rows remembered by the SQLite storage", () => {
  it("sees every change made through another storage on the same database at once, however long rows are kept", () =>
    withTwoStorages(3_600_000, async (server, command) => {
      assert.equal((await server.getAccount("a@example.org"))?.passwordHash, "$2b$04$first");
      await command.setPasswordHash("a@example.org", "$2b$04$second");
      assert.equal((await server.getAccount("a@example.org"))?.passwordHash, "$2b$04$second");
      await command.setAccountActive("a@example.org", false);
      assert.equal((await server.getAccount("a@example.org"))?.active, false);
      await command.grantAcl("a@example.org", 4);
      assert.deepEqual((await server.getAccount("a@example.org"))?.acl, [4]);
      await command.revokeAcl("a@example.org", 4);
      assert.deepEqual((await server.getAccount("a@example.org"))?.acl, []);
      assert.equal(await server.getAccount("b@example.org"), undefined);
      await command.addAccount({ username: "b@example.org", passwordHash: "$2b$04$b", createdAtMs: 2 });
      assert.equal((await server.getAccount("b@example.org"))?.passwordHash, "$2b$04$b");
    }));

  it("reuses a row while nothing changed, and sees an edit made with plain SQL once the row is older than accountCacheMs", () =>
    withTwoStorages(200, async (server, _command, path) => {
      assert.equal((await server.getAccount("a@example.org"))?.active, true);
      const sql = new Database(path);
      try {
        sql.prepare("UPDATE accounts SET active = 0 WHERE username = ?").run("a@example.org");
      } finally {
        sql.close();
      }
      // The plain edit does not touch the marker: the remembered row is still answered...
      assert.equal((await server.getAccount("a@example.org"))?.active, true);
      await sleep(250);
      // ...until it is older than the bound.
      assert.equal((await server.getAccount("a@example.org"))?.active, false);
    }));
});
