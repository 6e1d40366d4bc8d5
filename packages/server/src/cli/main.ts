#!/usr/bin/env node
/**
 * The `lightweight-push-server` command: runs the server and manages
 * accounts and ACLs in its database.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { hashPassword } from "../auth/password.js";
import { ConfigError, type ServerConfig } from "../config/config.js";
import { loadConfig } from "../config/load.js";
import { createDeliveryExtension } from "../delivery/index.js";
import { createServer } from "../server.js";
import { openPostgresStorage } from "../storage/postgres/postgres-storage.js";
import { openSqliteStorage, SQLITE_FILE_NAME } from "../storage/sqlite/sqlite-storage.js";
import { AccountExistsError, NOTIFICATION_ACL, type Storage } from "../storage/storage.js";
import { type ParsedArgs, parseArgs, UsageError } from "./args.js";
import { helpText } from "./help.js";
import { promptNewPassword, readPasswordFromStdin } from "./password-input.js";

/** Exit statuses of the command. */
const EXIT = { OK: 0, FAILURE: 1, USAGE: 64, NOT_FOUND: 67 } as const;

const ACL_NAMES: Readonly<Record<string, number>> = { notification: NOTIFICATION_ACL };

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

function fail(message: string): void {
  process.stderr.write(`lightweight-push-server: ${message}\n`);
}

async function openStorage(config: ServerConfig): Promise<Storage> {
  if (config.databaseUrl !== undefined) return openPostgresStorage({ url: config.databaseUrl, maxConnections: 2 });
  return openSqliteStorage({ path: join(config.dataDir, SQLITE_FILE_NAME), writerThread: false });
}

async function readNewPassword(args: ParsedArgs): Promise<string> {
  const password = args.passwordStdin ? await readPasswordFromStdin() : await promptNewPassword();
  if (password === "") throw new UsageError("the password must not be empty");
  return password;
}

function requireEmail(value: string | undefined, usage: string): string {
  if (value === undefined || value === "") throw new UsageError(`missing EMAIL: ${usage}`);
  return value;
}

async function userCommand(args: ParsedArgs, config: ServerConfig): Promise<number> {
  const [, action, email, extra] = args.positionals;
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`);
  switch (action) {
    case "add": {
      const username = requireEmail(email, "user add EMAIL");
      const storage = await openStorage(config);
      try {
        if ((await storage.getAccount(username)) !== undefined) {
          fail(`account ${username} already exists`);
          return EXIT.FAILURE;
        }
        const passwordHash = await hashPassword(await readNewPassword(args), config.bcryptCost);
        await storage.addAccount({ username, passwordHash, createdAtMs: Date.now() });
        out(`added ${username}`);
        return EXIT.OK;
      } catch (error) {
        if (error instanceof AccountExistsError) {
          fail(error.message);
          return EXIT.FAILURE;
        }
        throw error;
      } finally {
        await storage.close();
      }
    }
    case "list": {
      if (email !== undefined) throw new UsageError(`unexpected argument "${email}"`);
      const storage = await openStorage(config);
      try {
        const accounts = await storage.listAccounts();
        out(`${"USERNAME".padEnd(40)} ${"STATUS".padEnd(8)} ACL`);
        for (const a of accounts) {
          const acl = a.acl.map((n) => Object.entries(ACL_NAMES).find(([, v]) => v === n)?.[0] ?? String(n)).join(",");
          out(`${a.username.padEnd(40)} ${(a.active ? "active" : "disabled").padEnd(8)} ${acl === "" ? "-" : acl}`);
        }
        return EXIT.OK;
      } finally {
        await storage.close();
      }
    }
    case "disable":
    case "enable":
    case "passwd": {
      const username = requireEmail(email, `user ${action} EMAIL`);
      const storage = await openStorage(config);
      try {
        if ((await storage.getAccount(username)) === undefined) {
          fail(`no account ${username}`);
          return EXIT.NOT_FOUND;
        }
        let changed: boolean;
        if (action === "passwd") {
          changed = await storage.setPasswordHash(username, await hashPassword(await readNewPassword(args), config.bcryptCost));
        } else {
          changed = await storage.setAccountActive(username, action === "enable");
        }
        if (!changed) {
          fail(`no account ${username}`);
          return EXIT.NOT_FOUND;
        }
        out(action === "passwd" ? `password of ${username} changed` : `${username} ${action}d`);
        return EXIT.OK;
      } finally {
        await storage.close();
      }
    }
    default:
      throw new UsageError("user needs one of: add, list, disable, enable, passwd");
  }
}

async function aclCommand(args: ParsedArgs, config: ServerConfig): Promise<number> {
  const [, action, email, name, extra] = args.positionals;
  if (action !== "grant" && action !== "revoke") throw new UsageError("acl needs grant or revoke");
  const username = requireEmail(email, `acl ${action} EMAIL notification`);
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`);
  const acl = name === undefined ? undefined : ACL_NAMES[name];
  if (acl === undefined) throw new UsageError(`unknown ACL "${name ?? ""}" (known: ${Object.keys(ACL_NAMES).join(", ")})`);
  const storage = await openStorage(config);
  try {
    const changed = action === "grant" ? await storage.grantAcl(username, acl) : await storage.revokeAcl(username, acl);
    if (!changed) {
      fail(`no account ${username}`);
      return EXIT.NOT_FOUND;
    }
    out(`${action === "grant" ? "granted" : "revoked"} ${name} ${action === "grant" ? "to" : "from"} ${username}`);
    return EXIT.OK;
  } finally {
    await storage.close();
  }
}

async function startCommand(config: ServerConfig): Promise<number> {
  // FCM (when configured) and Web Push delivery.
  const server = await createServer(config, { extensions: [createDeliveryExtension()] });
  await server.listen();
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      server.context.log.info({ signal }, "shutting down");
      process.off("SIGTERM", stop);
      process.off("SIGINT", stop);
      server.close().then(resolve, (error: unknown) => {
        server.context.log.error({ err: error }, "shutdown failed");
        process.exitCode = EXIT.FAILURE;
        resolve();
      });
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  });
  return typeof process.exitCode === "number" ? process.exitCode : EXIT.OK;
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

/** Runs the command; resolves with the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    const args = parseArgs(argv);
    if (args.help) {
      process.stdout.write(helpText());
      return EXIT.OK;
    }
    if (args.version) {
      out(packageVersion());
      return EXIT.OK;
    }
    const config = loadConfig({ flags: args.flags, configFile: args.configFile });
    const command = args.positionals[0] ?? "start";
    switch (command) {
      case "start":
        if (args.positionals.length > 1) throw new UsageError(`unexpected argument "${args.positionals[1]}"`);
        return await startCommand(config);
      case "user":
        return await userCommand(args, config);
      case "acl":
        return await aclCommand(args, config);
      default:
        throw new UsageError(`unknown command "${command}" (see --help)`);
    }
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) {
      fail(error.message);
      return EXIT.USAGE;
    }
    fail(error instanceof Error ? error.message : String(error));
    return EXIT.FAILURE;
  }
}

const exitCode = await main(process.argv.slice(2));
process.exitCode = exitCode;
