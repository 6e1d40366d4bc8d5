/**
 * The connection pool of the PostgreSQL storage and delivery store: URL
 * (with an optional `schema` parameter), pool size, timeouts, and the error
 * listener without which a database restart would crash the process.
 *
 * @module
 */
import pg from "pg";
import { quoteIdentifier, SCHEMA_NAME_PATTERN } from "./migrate.js";

/** How to reach the database; shared by the storage and the delivery store. */
export interface PostgresPoolOptions {
  /**
   * Connection URL, e.g. `postgres://lwp:secret@db.internal:5432/lwp`. A
   * `schema` query parameter (`...?schema=push`) puts the tables into that
   * schema, created when missing; the other parameters are `pg`'s.
   */
  readonly url: string;
  /** Schema for the tables; overrides the URL's `schema` parameter. @default the URL's, else the database's search_path (usually `public`) */
  readonly schema?: string | undefined;
  /** Most connections this process opens. @default 10 */
  readonly maxConnections?: number;
  /** How long to wait for a connection (including while the database is down) before a call fails, ms. @default 5000 */
  readonly connectTimeoutMs?: number;
  /** Errors on idle connections (e.g. the database restarting); the pool replaces the connection itself. @default ignored */
  readonly onIdleError?: (error: Error) => void;
}

/**
 * Creates a pool whose connections use the schema, if any (it is created by
 * the migrations). Connects lazily.
 */
export function createPostgresPool(options: PostgresPoolOptions): { pool: pg.Pool; schema: string | undefined } {
  const { connectionString, schema: urlSchema } = splitSchemaParameter(options.url);
  const schema = options.schema ?? urlSchema;
  if (schema !== undefined && !SCHEMA_NAME_PATTERN.test(schema)) {
    throw new Error(`PostgreSQL schema name must match ${SCHEMA_NAME_PATTERN} (lower-case letters, digits, _)`);
  }
  const pool = new pg.Pool({
    connectionString,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    // TCP keepalive from 10 s of silence, so a connection to a vanished host is noticed long before the OS default of 2 h.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    application_name: "lightweight-push-server",
    ...(schema === undefined ? {} : { options: `-c search_path=${quoteIdentifier(schema)}` }),
  });
  const onIdleError = options.onIdleError ?? (() => {});
  pool.on("error", (error) => onIdleError(error));
  return { pool, schema };
}

/** Takes the non-standard `schema` parameter out of the URL (pg would pass it on to the server, which refuses it). */
function splitSchemaParameter(url: string): { connectionString: string; schema: string | undefined } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { connectionString: url, schema: undefined };
  }
  const schema = parsed.searchParams.get("schema");
  if (schema === null) return { connectionString: url, schema: undefined };
  parsed.searchParams.delete("schema");
  return { connectionString: parsed.toString(), schema };
}
