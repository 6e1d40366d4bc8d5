/**
 * Command-line parsing of `lightweight-push-server`: positionals, the
 * config flags (each field of {@link ServerConfig} as `--kebab-case`) and
 * the command's own switches.
 *
 * @module
 */
import { configFields, flagName, type ServerConfig } from "../config/config.js";
import type { FlagValues } from "../config/load.js";

/** Parsed command line. */
export interface ParsedArgs {
  readonly positionals: string[];
  readonly flags: FlagValues;
  readonly configFile: string | undefined;
  readonly passwordStdin: boolean;
  readonly help: boolean;
  readonly version: boolean;
}

/** Thrown for a command line that cannot be understood. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

const flagToKey = new Map<string, keyof ServerConfig>(
  (Object.keys(configFields) as (keyof ServerConfig)[]).map((key) => [flagName(key).slice(2), key]),
);

/**
 * Parses `argv` (without the node and script paths).
 *
 * @example
 * parseArgs(["user", "add", "a@example.org", "--data-dir", "/var/lib/lwp", "--password-stdin"])
 */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const positionals: string[] = [];
  const flags: Record<string, string | boolean> = {};
  let configFile: string | undefined;
  let passwordStdin = false;
  let help = false;
  let version = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === "-h" || arg === "--help") {
      help = true;
      continue;
    }
    if (arg === "--version") {
      version = true;
      continue;
    }
    if (!arg.startsWith("--")) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const inline = eq === -1 ? undefined : arg.slice(eq + 1);
    const takeValue = (): string => {
      if (inline !== undefined) return inline;
      const next = argv[i + 1];
      if (next === undefined) throw new UsageError(`--${name} needs a value`);
      i++;
      return next;
    };
    if (name === "password-stdin") {
      passwordStdin = true;
      continue;
    }
    if (name === "config") {
      configFile = takeValue();
      continue;
    }
    if (name.startsWith("no-") && flagToKey.has(name.slice(3))) {
      const key = flagToKey.get(name.slice(3)) as keyof ServerConfig;
      if (configFields[key].type !== "boolean") throw new UsageError(`--${name}: --${name.slice(3)} is not a switch`);
      flags[key] = false;
      continue;
    }
    const key = flagToKey.get(name);
    if (key === undefined) throw new UsageError(`unknown option --${name} (see --help)`);
    if (configFields[key].type === "boolean" && inline === undefined) flags[key] = true;
    else flags[key] = takeValue();
  }
  return { positionals, flags: flags as FlagValues, configFile, passwordStdin, help, version };
}
