/**
 * bcrypt password hashes, compatible with the original AlertR server's
 * (`$2b$` and PHP's `$2y$`).
 *
 * @module
 */
import { hash, verify } from "@node-rs/bcrypt";

/** Hashes a new password (`$2b$`). */
export async function hashPassword(password: string, cost: number): Promise<string> {
  return hash(password, { cost });
}

/**
 * Whether `password` matches a stored bcrypt hash. `$2y$` (PHP) is the same
 * algorithm as `$2b$`, so it is verified as one. A malformed hash never
 * matches.
 */
export async function verifyPassword(password: string, passwordHash: string): Promise<boolean> {
  const normalized = passwordHash.startsWith("$2y$") ? `$2b$${passwordHash.slice(4)}` : passwordHash;
  try {
    return await verify(password, normalized);
  } catch {
    return false;
  }
}

/** Whether a string looks like a bcrypt hash this server can verify. */
export function isBcryptHash(value: string): boolean {
  return /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/.test(value);
}
