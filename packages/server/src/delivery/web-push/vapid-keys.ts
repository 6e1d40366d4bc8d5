/**
 * The server's VAPID key pair (RFC 8292): taken from the configuration when
 * given, else made on first start and kept in the data directory, readable
 * by the server's user only. Browsers bind their subscriptions to the
 * public key, so it must survive restarts.
 *
 * @module
 */
import { createECDH } from "node:crypto";
import { chmodSync, linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/** File name of the key pair inside the data directory. */
export const VAPID_KEYS_FILE_NAME = "vapid-keys.json";

/** A VAPID key pair, base64url: the 65-byte uncompressed P-256 public point and the 32-byte private scalar. */
export interface VapidKeys {
  readonly publicKey: string;
  /** Secret: never logged. */
  readonly privateKey: string;
}

/**
 * Checks a key pair: sizes, and that the public key belongs to the private
 * one. Throws an error that never contains the private key.
 */
export function assertVapidKeys(keys: VapidKeys, source: string): void {
  const privateKey = Buffer.from(keys.privateKey, "base64url");
  const publicKey = Buffer.from(keys.publicKey, "base64url");
  if (!/^[A-Za-z0-9_-]+$/.test(keys.privateKey) || privateKey.length !== 32) {
    throw new Error(`VAPID private key from ${source} must be 32 bytes, base64url`);
  }
  if (!/^[A-Za-z0-9_-]+$/.test(keys.publicKey) || publicKey.length !== 65 || publicKey[0] !== 4) {
    throw new Error(`VAPID public key from ${source} must be a 65-byte uncompressed P-256 point, base64url`);
  }
  const ecdh = createECDH("prime256v1");
  try {
    ecdh.setPrivateKey(privateKey);
  } catch {
    throw new Error(`VAPID private key from ${source} is not a P-256 key`);
  }
  if (!ecdh.getPublicKey().equals(publicKey)) throw new Error(`VAPID public key from ${source} does not belong to its private key`);
}

/** A new random key pair. */
export function generateVapidKeys(): VapidKeys {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  // getPrivateKey drops leading zero bytes; the key is always 32 bytes on the wire.
  const privateKey = Buffer.alloc(32);
  const scalar = ecdh.getPrivateKey();
  scalar.copy(privateKey, 32 - scalar.length);
  return { publicKey: ecdh.getPublicKey().toString("base64url"), privateKey: privateKey.toString("base64url") };
}

/**
 * The configured keys, else the ones in `file`, else new ones written to
 * `file` (mode 0600; created atomically, so two processes starting at once
 * agree on one pair).
 *
 * @example
 * const keys = loadOrCreateVapidKeys(join(config.dataDir, VAPID_KEYS_FILE_NAME), {});
 */
export function loadOrCreateVapidKeys(
  file: string,
  configured: { readonly publicKey?: string | undefined; readonly privateKey?: string | undefined },
): { keys: VapidKeys; created: boolean } {
  if (configured.publicKey !== undefined || configured.privateKey !== undefined) {
    if (configured.publicKey === undefined || configured.privateKey === undefined) {
      throw new Error("configure both the VAPID public and private key, or neither (then they are made and kept in the data directory)");
    }
    const keys = { publicKey: configured.publicKey, privateKey: configured.privateKey };
    assertVapidKeys(keys, "the configuration");
    return { keys, created: false };
  }

  let created = false;
  if (statSync(file, { throwIfNoEntry: false }) === undefined) {
    // With PostgreSQL nothing else creates the data directory.
    mkdirSync(dirname(file), { recursive: true });
    const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
    writeFileSync(temp, `${JSON.stringify(generateVapidKeys(), null, 2)}\n`, { mode: 0o600, flag: "wx" });
    try {
      linkSync(temp, file);
      created = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    } finally {
      unlinkSync(temp);
    }
  }
  // An existing file readable by others (copied by hand, say) is tightened rather than trusted as is.
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    throw new Error(`VAPID key file ${file} is not JSON; move it away to make a new key pair (browsers then subscribe again)`);
  }
  const value = (typeof parsed === "object" && parsed !== null ? parsed : {}) as Record<string, unknown>;
  if (typeof value.publicKey !== "string" || typeof value.privateKey !== "string") {
    throw new Error(`VAPID key file ${file} lacks publicKey or privateKey`);
  }
  const keys = { publicKey: value.publicKey, privateKey: value.privateKey };
  assertVapidKeys(keys, file);
  return { keys, created };
}
