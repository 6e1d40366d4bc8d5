/**
 * The PostgreSQL {@link StorageFactory} for the server suite. Owned by the
 * PostgreSQL storage (issue 6): a factory when `LWP_TEST_DATABASE_URL` is
 * set (`source scripts/ci-services.sh && start_ci_services`), each fixture
 * on a fresh schema of that database, dropped by `cleanup()`.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { openPostgresStorage } from "../../src/storage/postgres/postgres-storage.js";
import type { StorageFactory, StorageFixture } from "./storage-factories.js";

/** A PostgreSQL fixture also tells its schema and a URL that selects it (for servers configured by URL). */
export interface PostgresStorageFixture extends StorageFixture {
  readonly schema: string;
  /** `LWP_TEST_DATABASE_URL` with `?schema=` of this fixture: what `--database-url` takes. */
  readonly databaseUrl: string;
}

/** The test database URL, or `undefined` when the suite runs without PostgreSQL. */
export function testDatabaseUrl(): string | undefined {
  const url = process.env.LWP_TEST_DATABASE_URL;
  return url === undefined || url === "" ? undefined : url;
}

/** `url` with its `schema` parameter set. */
export function withSchema(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set("schema", schema);
  return parsed.toString();
}

/** A fresh schema on the database at `url`; `cleanup()` drops it. */
export async function createPostgresFixture(url: string): Promise<PostgresStorageFixture> {
  const schema = `lwp_test_${randomBytes(6).toString("hex")}`;
  const dataDir = await mkdtemp(join(tmpdir(), "lwp-server-test-"));
  return {
    schema,
    databaseUrl: withSchema(url, schema),
    dataDir,
    // Small pools: the whole suite shares one PostgreSQL.
    open: () => openPostgresStorage({ url, schema, maxConnections: 4 }),
    async cleanup() {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The URL (with `?schema=`) a server takes to use `fixture`'s database; `undefined` for a SQLite fixture. */
export function fixtureDatabaseUrl(fixture: StorageFixture): string | undefined {
  return "databaseUrl" in fixture && typeof fixture.databaseUrl === "string" ? fixture.databaseUrl : undefined;
}

/** `undefined` when no test database is configured. */
export function postgresStorageFactory(): StorageFactory | undefined {
  const url = testDatabaseUrl();
  if (url === undefined) return undefined;
  return { name: "postgres", create: () => createPostgresFixture(url) };
}
