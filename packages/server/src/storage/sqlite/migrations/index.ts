/**
 * The numbered SQLite migrations, applied in order on start.
 *
 * @module
 */
import { migration0001 } from "./0001-initial.js";
import { migration0002 } from "./0002-delivery.js";

/** One schema change. */
export interface Migration {
  /** Applied in ascending order; never renumbered once released. */
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** All migrations, ascending. */
export const migrations: readonly Migration[] = [migration0001, migration0002];
