/**
 * Applies the PostgreSQL migrations. Several server instances may start at
 * once against one database: a session advisory lock makes them take turns,
 * so each migration runs exactly once and the later instances find it done.
 *
 * @module
 */
import type pg from "pg";
import { migrations as allMigrations, type Migration } from "./migrations/index.js";

/**
 * The advisory-lock key of one schema's migrations: a fixed namespace so it
 * cannot collide with locks another application takes on the same database.
 */
function lockName(schema: string | undefined): string {
  return `lightweight-push-server/migrate/${schema ?? ""}`;
}

/**
 * Brings the schema up to date: creates the schema when named, then applies
 * every migration not yet recorded in `schema_migrations`, each in its own
 * transaction together with its record.
 *
 * @returns the versions applied by this call (empty when already up to date).
 */
export async function migratePostgres(
  client: pg.ClientBase,
  schema: string | undefined,
  migrations: readonly Migration[] = allMigrations,
  nowMs: () => number = Date.now,
): Promise<number[]> {
  // Session lock (not transaction-level): it must span several transactions.
  await client.query("SELECT pg_advisory_lock(hashtext($1))", [lockName(schema)]);
  try {
    if (schema !== undefined) {
      // Looked up first: CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege on the database even when the
      // schema exists, which an operator who created the schema for us may not have granted.
      const { rows } = await client.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema]);
      if (rows.length === 0) await client.query(`CREATE SCHEMA ${quoteIdentifier(schema)}`);
    }
    await client.query(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version integer NOT NULL PRIMARY KEY, name text NOT NULL, applied_at_ms bigint NOT NULL)",
    );
    const { rows } = await client.query<{ version: number }>("SELECT version FROM schema_migrations");
    const applied = new Set(rows.map((r) => r.version));
    const done: number[] = [];
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(migration.version)) continue;
      await client.query("BEGIN");
      try {
        await client.query(migration.sql);
        await client.query("INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES ($1, $2, $3)", [
          migration.version,
          migration.name,
          nowMs(),
        ]);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {});
        throw new Error(`PostgreSQL migration ${migration.version} (${migration.name}) failed: ${(error as Error).message}`, {
          cause: error,
        });
      }
      done.push(migration.version);
    }
    return done;
  } finally {
    await client.query("SELECT pg_advisory_unlock(hashtext($1))", [lockName(schema)]).catch(() => {});
  }
}

/** Schema names this server accepts: plain lower-case identifiers, so no quoting surprises anywhere. */
export const SCHEMA_NAME_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/** Quotes an identifier already checked against {@link SCHEMA_NAME_PATTERN}. */
export function quoteIdentifier(name: string): string {
  if (!SCHEMA_NAME_PATTERN.test(name)) throw new Error(`invalid PostgreSQL schema name "${name}"`);
  return `"${name}"`;
}
