/**
 * The numbered PostgreSQL migrations, applied in order on start under an
 * advisory lock (see `migrate.ts`).
 *
 * @module
 */
import { migration0001 } from "./0001-initial.js";
import { migration0002 } from "./0002-delivery.js";

/** One schema change, applied in its own transaction. */
export interface Migration {
  /** Applied in ascending order; never renumbered once released. */
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** All migrations, ascending. */
export const migrations: readonly Migration[] = [migration0001, migration0002];
