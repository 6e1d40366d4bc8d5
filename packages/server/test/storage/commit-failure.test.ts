import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { ResultCode } from "lightweightpush/protocol";
import { SQLITE_FILE_NAME } from "../../src/storage/sqlite/sqlite-storage.js";
import { subscribe } from "../helpers/sse-client.js";
import { sqliteStorageFactory } from "../helpers/storage-factories.js";
import { addTestAccount, formBody, pythonFrame, startTestServer, withFixture } from "../helpers/test-server.js";

describe("a failing database commit (sqlite)", () => {
  it("answers 1 (retry), publishes nothing of that transaction and keeps serving", () =>
    withFixture(sqliteStorageFactory, async (fixture) => {
      const t = await startTestServer(fixture, { listen: true });
      try {
        await addTestAccount(t.storage, "u@example.org", "pw");
        // A real SQLite failure: a trigger that aborts inserts of one payload, added from another connection.
        const db = new Database(join(fixture.dataDir, SQLITE_FILE_NAME));
        db.exec(
          "CREATE TRIGGER refuse_poison BEFORE INSERT ON messages WHEN NEW.payload = 'poison' BEGIN SELECT RAISE(ABORT, 'refused'); END",
        );
        db.close();
        const stream = await subscribe(`${t.url}/v1/channels/0123abcd_c/events`);
        const send = async (data: string) => {
          const response = await fetch(`${t.url}/push/send.php`, {
            method: "POST",
            headers: { "content-type": "application/x-www-form-urlencoded" },
            body: formBody(pythonFrame({ username: "u@example.org", password: "pw", channel: "0123abcd_c", data })),
          });
          return (await response.json()) as { Code: number };
        };
        assert.equal((await send("poison")).Code, ResultCode.DATABASE_ERROR);
        assert.equal((await send("fine")).Code, ResultCode.NO_ERROR);
        await stream.waitForEvents(1);
        assert.deepEqual(
          stream.events.map((e) => e.payload),
          ["fine"],
        );
        assert.equal(await t.storage.countMessages(), 1);
        stream.close();
        assert.ok(!t.logs.join("\n").includes("poison"), "payloads stay out of the logs");
      } finally {
        await t.close();
      }
    }));
});
