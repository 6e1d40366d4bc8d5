/**
 * PostgreSQL storage as several instances see it: migrations when they
 * start together, and message ids a resuming reader can trust.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import pg from "pg";
import { openPostgresStorage, type PostgresStorage } from "../../src/storage/postgres/postgres-storage.js";
import type { StoredMessage } from "../../src/storage/storage.js";
import { createPostgresFixture, type PostgresStorageFixture } from "../helpers/postgres-factory.js";
import { requireServiceEnv } from "./services.js";

describe("PostgreSQL storage shared by several instances", () => {
  const fixtures: PostgresStorageFixture[] = [];
  const fresh = async (): Promise<PostgresStorageFixture> => {
    const fixture = await createPostgresFixture(requireServiceEnv("LWP_TEST_DATABASE_URL"));
    fixtures.push(fixture);
    return fixture;
  };
  after(async () => {
    for (const fixture of fixtures) await fixture.cleanup();
  });

  test("instances starting together apply each migration once and all come up", async () => {
    const fixture = await fresh();
    const storages = await Promise.all(Array.from({ length: 5 }, () => openPostgresStorage({ url: fixture.databaseUrl })));
    try {
      const client = new pg.Client({ connectionString: requireServiceEnv("LWP_TEST_DATABASE_URL") });
      await client.connect();
      const { rows } = await client.query<{ version: number; n: string }>(
        `SELECT version, count(*) AS n FROM "${fixture.schema}".schema_migrations GROUP BY version ORDER BY version`,
      );
      await client.end();
      assert.ok(rows.length >= 1);
      assert.deepEqual(
        rows.map((r) => r.n),
        rows.map(() => "1"),
      );
      await storages[0]!.addAccount({ username: "a@example.org", passwordHash: "$2b$04$x", createdAtMs: 1 });
      assert.equal((await storages[4]!.getAccount("a@example.org"))?.username, "a@example.org");
    } finally {
      await Promise.all(storages.map((s) => s.close()));
    }
  });

  test("a reader resuming after the last id it saw misses no message committed by concurrent writers", async () => {
    const fixture = await fresh();
    const writers: PostgresStorage[] = await Promise.all([1, 2, 3].map(() => openPostgresStorage({ url: fixture.databaseUrl })));
    const reader = await openPostgresStorage({ url: fixture.databaseUrl });
    const channel = "0123abcd_race";
    const perWriter = 120;
    try {
      let writing = true;
      const seen: StoredMessage[] = [];
      const read = (async () => {
        // Exactly what an SSE subscriber does with Last-Event-ID: ask for everything after the last id seen.
        let lastId = 0;
        const readPage = async (): Promise<number> => {
          const page = await reader.listMessages(channel, { afterId: lastId, limit: 50 });
          for (const m of page) seen.push(m);
          if (page.length > 0) lastId = page[page.length - 1]!.id;
          return page.length;
        };
        while (writing) await readPage();
        // Every write is acknowledged now: reads started from here on see all of them.
        while ((await readPage()) > 0) {}
      })();
      const acknowledged: StoredMessage[] = [];
      await Promise.all(
        writers.map(async (writer, w) => {
          for (let i = 0; i < perWriter; i += 3) {
            const batch = [0, 1, 2].map((k) => ({ channel, payload: `w${w}-${i + k}`, timeMs: Date.now() }));
            acknowledged.push(...(await writer.insertMessages(batch)));
          }
        }),
      );
      writing = false;
      await read;
      assert.equal(acknowledged.length, perWriter * writers.length);
      assert.deepEqual(
        seen.map((m) => m.payload).sort(),
        acknowledged.map((m) => m.payload).sort(),
        "the resuming reader saw every acknowledged message exactly once",
      );
      for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.id > seen[i - 1]!.id, "ids arrive in increasing order");
      assert.equal(await reader.lastMessageId(), Math.max(...acknowledged.map((m) => m.id)));
    } finally {
      await Promise.all([...writers, reader].map((s) => s.close()));
    }
  });

  test("a URL with an invalid schema name is refused before connecting", async () => {
    const url = new URL(requireServiceEnv("LWP_TEST_DATABASE_URL"));
    url.searchParams.set("schema", "Bad; DROP");
    await assert.rejects(openPostgresStorage({ url: url.toString() }), /schema name must match/);
  });
});
