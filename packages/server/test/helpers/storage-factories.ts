/**
 * The storages the server suite runs against: SQLite always, PostgreSQL
 * when `LWP_TEST_DATABASE_URL` is set (see `postgres-factory.ts`).
 *
 * @module
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqliteStorage, SQLITE_FILE_NAME } from "../../src/storage/sqlite/sqlite-storage.js";
import type { Storage } from "../../src/storage/storage.js";
import { postgresStorageFactory } from "./postgres-factory.js";

/**
 * One isolated database for one test. `open()` may be called again after
 * the previous storage was closed and sees the same data (server restarts).
 */
export interface StorageFixture {
  /** Opens (and migrates) the storage. */
  open(): Promise<Storage>;
  /** A data directory the test may use (the SQLite file lives here). */
  readonly dataDir: string;
  /** Removes the database. Call after every storage from `open()` is closed. */
  cleanup(): Promise<void>;
}

/** Makes fresh {@link StorageFixture}s of one kind. */
export interface StorageFactory {
  readonly name: string;
  create(): Promise<StorageFixture>;
}

/** A temp-dir SQLite database. */
export const sqliteStorageFactory: StorageFactory = {
  name: "sqlite",
  async create() {
    const dataDir = await mkdtemp(join(tmpdir(), "lwp-server-test-"));
    return {
      dataDir,
      async open() {
        return openSqliteStorage({ path: join(dataDir, SQLITE_FILE_NAME) });
      },
      async cleanup() {
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  },
};

/**
 * Every storage to run the server suite against.
 *
 * @example
 * for (const factory of storageFactories()) {
 *   describe(`send (${factory.name})`, () => { ... });
 * }
 */
export function storageFactories(): StorageFactory[] {
  const postgres = postgresStorageFactory();
  return postgres === undefined ? [sqliteStorageFactory] : [sqliteStorageFactory, postgres];
}
