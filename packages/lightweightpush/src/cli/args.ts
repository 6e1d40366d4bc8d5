/**
 * A small command-line parser following the rules of Python's optparse,
 * which the original console tool used, so that existing command lines
 * keep working: an option that takes a value always consumes the next
 * argument (so `-m -1` and `--msg "-x"` work), values may be attached
 * (`-cMyChannel`, `--channel=MyChannel`), and a long option may be
 * abbreviated to any unique prefix (`--mess`). `node:util`'s `parseArgs`
 * refuses `-m -1`, hence this parser.
 *
 * @module
 */
import { UsageError } from "./errors.js";

/** How the parser treats one option. */
export interface FlagSpec {
  /** Names as typed, e.g. `["-c", "--channel"]`. */
  readonly flags: readonly string[];
  /** Whether the option takes a value (else it is a switch). */
  readonly takesValue: boolean;
}

/** One option as found on the command line. */
export interface FlagOccurrence {
  /** The name the user typed, expanded if abbreviated (for messages). */
  readonly flag: string;
  /** The value; `undefined` for a switch. */
  readonly value: string | undefined;
}

/** The parsed command line: options by key, in order of appearance, and the remaining arguments. */
export interface ParsedArgv {
  readonly options: ReadonlyMap<string, readonly FlagOccurrence[]>;
  readonly positionals: readonly string[];
}

/**
 * Parses `argv` against `specs` (keyed by setting name). Throws
 * {@link UsageError} for an unknown or ambiguous option, a missing value,
 * or a value given to a switch.
 *
 * @example
 * parseArgv(["-m", "-1"], { maxRetries: { flags: ["-m", "--max-retries"], takesValue: true } })
 * // options: maxRetries -> [{ flag: "-m", value: "-1" }]
 */
export function parseArgv(argv: readonly string[], specs: Readonly<Record<string, FlagSpec>>): ParsedArgv {
  const byName = new Map<string, string>();
  for (const [key, spec] of Object.entries(specs)) for (const flag of spec.flags) byName.set(flag, key);

  const options = new Map<string, FlagOccurrence[]>();
  const positionals: string[] = [];
  const add = (key: string, occurrence: FlagOccurrence) => {
    const list = options.get(key);
    if (list) list.push(occurrence);
    else options.set(key, [occurrence]);
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === "-" || !arg.startsWith("-")) {
      positionals.push(arg);
      continue;
    }

    let name: string;
    let attached: string | undefined;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const typed = eq === -1 ? arg : arg.slice(0, eq);
      attached = eq === -1 ? undefined : arg.slice(eq + 1);
      name = resolveLongName(typed, byName);
    } else {
      // Single-dash options are one letter; anything after it is an attached value.
      name = arg.slice(0, 2);
      attached = arg.length > 2 ? arg.slice(2) : undefined;
      // Name only the option: the rest of the argument may be a password typed after a wrong letter.
      if (!byName.has(name)) throw new UsageError(`unknown option ${name}`);
    }
    const key = byName.get(name)!;
    const spec = specs[key]!;
    if (!spec.takesValue) {
      if (attached !== undefined) throw new UsageError(`option ${name} takes no value`);
      add(key, { flag: name, value: undefined });
      continue;
    }
    if (attached !== undefined) {
      add(key, { flag: name, value: attached });
      continue;
    }
    if (i + 1 >= argv.length) throw new UsageError(`option ${name} needs a value`);
    add(key, { flag: name, value: argv[++i]! });
  }
  return { options, positionals };
}

function resolveLongName(typed: string, byName: ReadonlyMap<string, string>): string {
  if (byName.has(typed)) return typed;
  const candidates = [...byName.keys()].filter((name) => name.startsWith("--") && name.startsWith(typed));
  const keys = new Set(candidates.map((name) => byName.get(name)));
  if (keys.size === 1) return candidates[0]!;
  if (keys.size === 0) throw new UsageError(`unknown option ${typed}`);
  throw new UsageError(`ambiguous option ${typed} (could be ${candidates.join(", ")})`);
}
