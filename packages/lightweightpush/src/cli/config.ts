/**
 * The CLI's settings, built in this one place from four layers, each
 * overriding the one before: defaults <- config file <- environment <-
 * command-line flags. This is the only module that reads the environment,
 * and it reads it from the `env` it is given, so tests inject their own.
 *
 * The config file is JSON with the long flags' names in camelCase, e.g.
 * `{"username": "me@example.org", "sharedSecret": "...", "channel": "Door",
 * "maxRetries": 3}`. Its default path is
 * `$XDG_CONFIG_HOME/lightweight-push/config.json` (or
 * `~/.config/lightweight-push/config.json`); `--config FILE` or
 * `LIGHTWEIGHT_PUSH_CONFIG` choose another. A file holding a password or
 * shared secret that group or others may access is refused, as ssh refuses
 * a private key anyone can read.
 *
 * Commands declare their options as an {@link OptionSpecs} table and get
 * typed values from {@link loadOptions}; {@link loadSendConfig} and
 * {@link loadListenConfig} turn those into checked, defaulted configs.
 *
 * @module
 */
import { closeSync, fstatSync, openSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { DEFAULT_ENDPOINT, DEFAULT_TIMEOUT_MS } from "../client/lightweight-push.js";
import { DEFAULT_MAX_RETRIES } from "../client/retry.js";
import { isValidChannel } from "../protocol/channel.js";
import type { EnvelopeVersion } from "../protocol/message.js";
import type { MessageState } from "../protocol/payload.js";
import { parseArgv } from "./args.js";
import { UsageError } from "./errors.js";
import { DEFAULT_LOG_LEVEL, LOG_LEVELS, type LogLevel, parseLogLevel } from "./log.js";

/** How an option's value is typed. `list` collects repeated flags; in the environment it is comma-separated. */
export type OptionKind = "string" | "integer" | "number" | "boolean" | "list";

/** One setting: where it can come from and its type. Its key in an {@link OptionSpecs} table is its config-file key. */
export interface OptionSpec {
  readonly kind: OptionKind;
  /** Command-line names, e.g. `["-c", "--channel"]`. A `boolean` flag is a switch that sets `true`. */
  readonly flags: readonly string[];
  /** Environment variable, if the setting has one. */
  readonly env?: string;
  /** The environment variable holds the opposite of the value (`..._CHECK_SSL_CERTIFICATE=0` sets `noCheckSslCertificate`). */
  readonly envInverted?: boolean;
  /**
   * Whether the config file may set it.
   * @default true
   */
  readonly inFile?: boolean;
}

/** Options by setting name (camelCase, as in the config file). */
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

interface KindValue {
  string: string;
  integer: number;
  number: number;
  boolean: boolean;
  list: readonly string[];
}

/** The values found for a table of options; absent when no layer set them. */
export type OptionValues<S extends OptionSpecs> = { readonly [K in keyof S]?: KindValue[S[K]["kind"]] };

/** The options of one command, merged from file, environment and flags. */
export interface LoadedOptions<S extends OptionSpecs> {
  readonly values: OptionValues<S>;
  /** Where each value came from, for DEBUG output and messages: `"flag -u"`, `"LIGHTWEIGHT_PUSH_USERNAME"`, `"config file"`. */
  readonly sources: { readonly [K in keyof S]?: string };
  /** Arguments that are not options. */
  readonly positionals: readonly string[];
  /** The config file that was read, if one was. */
  readonly configFile: string | undefined;
  /** Things the user should hear about that do not stop the command (unknown keys in the file, ...). */
  readonly warnings: readonly string[];
}

/** Settings every command shares: account, server, output, config file. */
export const COMMON_OPTIONS = {
  username: { kind: "string", flags: ["-u", "--username"], env: "LIGHTWEIGHT_PUSH_USERNAME" },
  sharedSecret: { kind: "string", flags: ["--ss", "--shared-secret"], env: "LIGHTWEIGHT_PUSH_SHARED_SECRET" },
  channel: { kind: "list", flags: ["-c", "--channel"], env: "LIGHTWEIGHT_PUSH_CHANNEL" },
  server: { kind: "string", flags: ["--server"], env: "LIGHTWEIGHT_PUSH_SERVER" },
  endpoint: { kind: "string", flags: ["--endpoint"], env: "LIGHTWEIGHT_PUSH_ENDPOINT" },
  timeout: { kind: "number", flags: ["--timeout"], env: "LIGHTWEIGHT_PUSH_TIMEOUT" },
  loglevel: { kind: "string", flags: ["-l", "--loglevel"], env: "LIGHTWEIGHT_PUSH_LOGLEVEL" },
  noCheckSslCertificate: {
    kind: "boolean",
    flags: ["--no-check-ssl-certificate"],
    env: "LIGHTWEIGHT_PUSH_CHECK_SSL_CERTIFICATE",
    envInverted: true,
  },
  config: { kind: "string", flags: ["--config"], env: "LIGHTWEIGHT_PUSH_CONFIG", inFile: false },
  help: { kind: "boolean", flags: ["-h", "--help"], inFile: false },
} as const satisfies OptionSpecs;

/** Options of `lightweight-push [send]`: the original console tool's flags plus this project's. */
export const SEND_OPTIONS = {
  ...COMMON_OPTIONS,
  password: { kind: "string", flags: ["-p", "--password"], env: "LIGHTWEIGHT_PUSH_PASSWORD" },
  maxRetries: { kind: "integer", flags: ["-m", "--max-retries"], env: "LIGHTWEIGHT_PUSH_MAX_RETRIES" },
  envelope: { kind: "integer", flags: ["--envelope"], env: "LIGHTWEIGHT_PUSH_ENVELOPE" },
  subject: { kind: "string", flags: ["--sbj", "--subject"], inFile: false },
  message: { kind: "string", flags: ["--msg", "--message"], inFile: false },
  state: { kind: "integer", flags: ["-s", "--state"], inFile: false },
  timeTriggered: { kind: "integer", flags: ["-t", "--time-triggered"], inFile: false },
  version: { kind: "boolean", flags: ["--version"], inFile: false },
} as const satisfies OptionSpecs;

/** Options of `lightweight-push listen` (issue 4): several `-c`, output format, a command per message, replay. */
export const LISTEN_OPTIONS = {
  ...COMMON_OPTIONS,
  json: { kind: "boolean", flags: ["--json"], inFile: false },
  exec: { kind: "string", flags: ["--exec"], inFile: false },
  since: { kind: "string", flags: ["--since"], inFile: false },
} as const satisfies OptionSpecs;

/** Keys any command reads from the config file; others draw a warning (likely a typo). */
const FILE_KEYS = new Set(
  [SEND_OPTIONS, LISTEN_OPTIONS].flatMap((specs) =>
    Object.entries(specs)
      .filter(([, spec]) => (spec as OptionSpec).inFile !== false)
      .map(([key]) => key),
  ),
);

/** Keys whose presence makes a config file sensitive. */
const SECRET_KEYS = ["password", "sharedSecret"];

/**
 * The default config file: `$XDG_CONFIG_HOME/lightweight-push/config.json`,
 * else `~/.config/lightweight-push/config.json`.
 */
export function defaultConfigPath(env: Readonly<Record<string, string | undefined>>): string {
  const xdg = env.XDG_CONFIG_HOME;
  // The XDG spec says to ignore a relative XDG_CONFIG_HOME.
  // node:os only when HOME is unset: homedir() reads HOME first anyway,
  // and loading node:os is start-up time for every send.
  const home = env.HOME || (createRequire(import.meta.url)("node:os") as typeof import("node:os")).homedir();
  const base = xdg?.startsWith("/") ? xdg : join(home, ".config");
  return join(base, "lightweight-push", "config.json");
}

/**
 * Reads the options in `specs` from the command line, the environment and
 * the config file, later layers overriding earlier ones. When `-h`/`--help`
 * or `--version` is on the command line, neither environment nor file is
 * read (a broken file must not hide the help). Throws {@link UsageError}.
 *
 * @example
 * const { values, positionals } = loadOptions(argv, io.env, LISTEN_OPTIONS);
 * values.channel // readonly string[] | undefined
 */
export function loadOptions<S extends OptionSpecs>(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  specs: S,
): LoadedOptions<S> {
  const parsed = parseArgv(
    argv,
    Object.fromEntries(Object.entries(specs).map(([key, spec]) => [key, { flags: spec.flags, takesValue: spec.kind !== "boolean" }])),
  );
  const values: Record<string, unknown> = {};
  const sources: Record<string, string> = {};
  const warnings: string[] = [];

  const flagValues: Record<string, unknown> = {};
  const flagSources: Record<string, string> = {};
  for (const [key, occurrences] of parsed.options) {
    const spec = specs[key]!;
    const last = occurrences[occurrences.length - 1]!;
    flagSources[key] = `flag ${last.flag}`;
    if (spec.kind === "boolean") flagValues[key] = true;
    // Each -c names one channel; only the environment and the file hold comma-separated lists.
    else if (spec.kind === "list") flagValues[key] = occurrences.map((o) => o.value!);
    // optparse semantics: the last occurrence wins.
    else flagValues[key] = fromText(spec.kind, last.value!, `option ${last.flag}`);
  }
  if (flagValues.help === true || flagValues.version === true) {
    return {
      values: flagValues as OptionValues<S>,
      sources: flagSources,
      positionals: parsed.positionals,
      configFile: undefined,
      warnings,
    };
  }

  const explicitPath = (flagValues.config as string | undefined) ?? nonEmpty(env.LIGHTWEIGHT_PUSH_CONFIG);
  const configPath = explicitPath ?? defaultConfigPath(env);
  const file = readConfigFile(configPath, explicitPath !== undefined);
  if (file) {
    for (const [key, raw] of Object.entries(file)) {
      const spec = specs[key];
      if (!FILE_KEYS.has(key) && !(spec && spec.inFile !== false)) {
        warnings.push(`config file ${configPath}: unknown setting "${key}" ignored`);
        continue;
      }
      if (!spec || spec.inFile === false) continue;
      values[key] = fromJson(spec.kind, raw, `config file ${configPath}: "${key}"`);
      sources[key] = "config file";
    }
  }

  for (const [key, spec] of Object.entries(specs)) {
    if (!spec.env) continue;
    const text = nonEmpty(env[spec.env]);
    if (text === undefined) continue;
    const value = fromText(spec.kind, text, spec.env);
    values[key] = spec.envInverted ? !value : value;
    sources[key] = spec.env;
  }

  Object.assign(values, flagValues);
  Object.assign(sources, flagSources);
  return {
    values: values as OptionValues<S>,
    sources: sources as LoadedOptions<S>["sources"],
    positionals: parsed.positionals,
    configFile: file ? configPath : undefined,
    warnings,
  };
}

function nonEmpty(text: string | undefined): string | undefined {
  return text === undefined || text === "" ? undefined : text;
}

function fromText(kind: OptionKind, text: string, where: string): unknown {
  switch (kind) {
    case "string":
      return text;
    case "list":
      return text
        .split(",")
        .map((item) => item.trim())
        .filter((item) => item !== "");
    case "integer": {
      const value = /^[+-]?\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
      if (!Number.isSafeInteger(value)) throw new UsageError(`${where}: expected a whole number, got "${text}"`);
      return value;
    }
    case "number": {
      const value = text.trim() === "" ? Number.NaN : Number(text);
      if (!Number.isFinite(value)) throw new UsageError(`${where}: expected a number, got "${text}"`);
      return value;
    }
    case "boolean": {
      const word = text.trim().toLowerCase();
      if (["1", "true", "yes", "on"].includes(word)) return true;
      if (["0", "false", "no", "off"].includes(word)) return false;
      throw new UsageError(`${where}: expected 1/0, true/false, yes/no or on/off, got "${text}"`);
    }
  }
}

function fromJson(kind: OptionKind, value: unknown, where: string): unknown {
  switch (kind) {
    case "string":
      if (typeof value === "string") return value;
      throw new UsageError(`${where} has to be a string`);
    case "list":
      if (typeof value === "string") return fromText("list", value, where);
      if (Array.isArray(value) && value.every((item) => typeof item === "string")) return value;
      throw new UsageError(`${where} has to be a string or a list of strings`);
    case "integer":
      if (Number.isSafeInteger(value)) return value;
      throw new UsageError(`${where} has to be a whole number`);
    case "number":
      if (typeof value === "number" && Number.isFinite(value)) return value;
      throw new UsageError(`${where} has to be a number`);
    case "boolean":
      if (typeof value === "boolean") return value;
      throw new UsageError(`${where} has to be true or false`);
  }
}

/**
 * Reads and checks the config file. A missing default file is fine; a
 * missing file the user named is an error.
 */
function readConfigFile(path: string, explicit: boolean): Record<string, unknown> | undefined {
  // Usually there is no config file: statSync says so without the cost of
  // an exception. Any other failure is reported by openSync below.
  try {
    if (!explicit && statSync(path, { throwIfNoEntry: false }) === undefined) return undefined;
  } catch {
    // Reported by openSync.
  }
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && !explicit) return undefined;
    throw new UsageError(`cannot read config file ${path}: ${code === "ENOENT" ? "no such file" : (code ?? "error")}`);
  }
  let text: string;
  let mode: number;
  try {
    // Stat the open file, not the path, so the checked file is the one read.
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new UsageError(`config file ${path} is not a regular file`);
    mode = stat.mode;
    text = readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text around the error, which may hold a secret.
    throw new UsageError(`config file ${path} is not valid JSON`);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new UsageError(`config file ${path} has to hold a JSON object`);
  }
  const record = data as Record<string, unknown>;
  const holdsSecret = SECRET_KEYS.some((key) => record[key] !== undefined);
  // POSIX permission bits mean nothing on Windows.
  if (holdsSecret && process.platform !== "win32" && (mode & 0o077) !== 0) {
    throw new UsageError(
      `config file ${path} holds a password or shared secret but other users may access it (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${path}`,
    );
  }
  return record;
}

/** The settings of one send, checked and with defaults applied. */
export interface SendConfig {
  readonly username: string;
  readonly password: string;
  readonly sharedSecret: string;
  /** The channel without the account prefix. */
  readonly channel: string;
  readonly subject: string;
  /** The message; `undefined` means: read it from standard input. */
  readonly message: string | undefined;
  readonly state: MessageState | undefined;
  /** Unix seconds; `undefined` means now. */
  readonly timeTriggered: number | undefined;
  /** Retries after the first attempt; -1 forever. */
  readonly maxRetries: number;
  readonly endpoint: string;
  readonly envelope: EnvelopeVersion;
  /** Timeout of each attempt, in milliseconds. */
  readonly timeoutMs: number;
  readonly checkSslCertificate: boolean;
  readonly loglevel: LogLevel;
  /** The config file that was read, if any. */
  readonly configFile: string | undefined;
  /** Where each setting came from (never the value). */
  readonly sources: Readonly<Record<string, string>>;
  readonly warnings: readonly string[];
}

/** What `lightweight-push [send] ARGS` asks for. */
export type SendCommand =
  | { readonly action: "help" }
  | { readonly action: "version" }
  | { readonly action: "send"; readonly config: SendConfig };

/** Longest per-attempt timeout: Node's timers overflow past 2^31 - 1 ms. */
const MAX_TIMEOUT_SECONDS = 2_147_483;

/**
 * Builds the {@link SendConfig} for `lightweight-push [send] ARGS` (the
 * `send` word already removed). Throws {@link UsageError} for anything
 * missing or invalid, so that nothing is sent.
 */
export function loadSendConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): SendCommand {
  const loaded = loadOptions(argv, env, SEND_OPTIONS);
  const v = loaded.values;
  if (v.help) return { action: "help" };
  if (v.version) return { action: "version" };
  if (loaded.positionals.length > 0) {
    throw new UsageError(`unexpected argument "${loaded.positionals[0]}" (quote a message with spaces: --msg "some text")`);
  }
  const where = (key: string, flag: string, envName?: string) =>
    `use ${flag}${envName ? `, ${envName}` : ""} or "${key}" in the config file (${loaded.configFile ?? defaultConfigPath(env)})`;

  const username = v.username ?? fail(`no username given: ${where("username", "-u EMAIL", "LIGHTWEIGHT_PUSH_USERNAME")}`);
  const password =
    v.password ??
    fail(
      `no password given: set LIGHTWEIGHT_PUSH_PASSWORD or "password" in the config file (-p works too, but other users can see it in the process list)`,
    );
  const sharedSecret =
    v.sharedSecret ??
    fail(
      `no shared secret given: set LIGHTWEIGHT_PUSH_SHARED_SECRET or "sharedSecret" in the config file (--ss works too, but other users can see it in the process list)`,
    );
  const channels = v.channel ?? [];
  if (channels.length === 0) fail(`no channel given: ${where("channel", "-c CHANNEL", "LIGHTWEIGHT_PUSH_CHANNEL")}`);
  if (channels.length > 1) fail(`one channel per message, got ${channels.length} (${channels.join(", ")}) from ${loaded.sources.channel}`);
  const channel = channels[0]!;
  if (!isValidChannel(channel)) fail(`channel "${channel}" contains illegal characters (allowed: letters, digits and - _ . ~ %)`);
  const subject = v.subject ?? fail(`no subject given: use --sbj SUBJECT`);

  const state = v.state;
  if (state !== undefined && state !== 0 && state !== 1) fail(`state has to be 0 (normal) or 1 (triggered), got ${state}`);
  const timeTriggered = v.timeTriggered;
  if (timeTriggered !== undefined && timeTriggered < 0) fail(`time triggered has to be unix seconds (0 or more), got ${timeTriggered}`);
  const maxRetries = v.maxRetries ?? DEFAULT_MAX_RETRIES;
  if (maxRetries < -1) fail(`max retries has to be -1 (forever), 0 or more, got ${maxRetries}`);
  const envelope = v.envelope ?? 1;
  if (envelope !== 1 && envelope !== 2) fail(`envelope has to be 1 or 2, got ${envelope}`);

  return {
    action: "send",
    config: {
      username,
      password,
      sharedSecret,
      channel,
      subject,
      message: v.message,
      state,
      timeTriggered,
      maxRetries,
      endpoint: sendEndpoint(v.endpoint, v.server),
      envelope,
      timeoutMs: timeoutMs(v.timeout),
      checkSslCertificate: v.noCheckSslCertificate !== true,
      loglevel: logLevel(v.loglevel),
      configFile: loaded.configFile,
      sources: loaded.sources as Record<string, string>,
      warnings: loaded.warnings,
    },
  };
}

/** The settings of `lightweight-push listen`, checked and with defaults applied. */
export interface ListenConfig {
  readonly username: string;
  readonly sharedSecret: string;
  /** Base URL of the push server (its SSE streams are under `/v1/channels/`). */
  readonly server: string;
  /** Channels without the account prefix, at least one. */
  readonly channels: readonly string[];
  /** One JSON object per line instead of readable text. */
  readonly json: boolean;
  /** A shell command to run per message, if any. */
  readonly exec: string | undefined;
  /** `all`, a message id or a unix time to replay from, if given. */
  readonly since: string | undefined;
  /** Timeout for connecting, in milliseconds. */
  readonly timeoutMs: number;
  readonly checkSslCertificate: boolean;
  readonly loglevel: LogLevel;
  readonly configFile: string | undefined;
  readonly sources: Readonly<Record<string, string>>;
  readonly warnings: readonly string[];
}

/** What `lightweight-push listen ARGS` asks for. */
export type ListenCommand = { readonly action: "help" } | { readonly action: "listen"; readonly config: ListenConfig };

/**
 * Builds the {@link ListenConfig} for `lightweight-push listen ARGS` (the
 * `listen` word already removed). The server comes from `--server`, else
 * from an endpoint ending in `/push/send.php`, so one config file serves
 * sending and listening. Throws {@link UsageError}.
 *
 * @example
 * const command = loadListenConfig(argv, io.env);
 * if (command.action === "listen") subscribe(command.config.server, command.config.channels);
 */
export function loadListenConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ListenCommand {
  const loaded = loadOptions(argv, env, LISTEN_OPTIONS);
  const v = loaded.values;
  if (v.help) return { action: "help" };
  if (loaded.positionals.length > 0) throw new UsageError(`unexpected argument "${loaded.positionals[0]}"`);
  const username = v.username ?? fail(`no username given: use -u EMAIL, LIGHTWEIGHT_PUSH_USERNAME or "username" in the config file`);
  const sharedSecret =
    v.sharedSecret ??
    fail(
      `no shared secret given: set LIGHTWEIGHT_PUSH_SHARED_SECRET or "sharedSecret" in the config file (--ss works too, but other users can see it in the process list)`,
    );
  const channels = v.channel ?? [];
  if (channels.length === 0)
    fail(`no channel given: use -c CHANNEL (repeatable), LIGHTWEIGHT_PUSH_CHANNEL (comma-separated) or "channel" in the config file`);
  for (const channel of channels) {
    if (!isValidChannel(channel)) fail(`channel "${channel}" contains illegal characters (allowed: letters, digits and - _ . ~ %)`);
  }
  let server = v.server;
  if (server === undefined && v.endpoint?.endsWith("/push/send.php")) server = v.endpoint.slice(0, -"/push/send.php".length);
  if (server === undefined) fail(`no server given: use --server URL, LIGHTWEIGHT_PUSH_SERVER or "server" in the config file`);
  checkHttpUrl(server, "server");
  if (v.since !== undefined && v.since === "") fail(`--since needs all, a message id or a unix time`);
  return {
    action: "listen",
    config: {
      username,
      sharedSecret,
      server: server.replace(/\/+$/, ""),
      channels,
      json: v.json === true,
      exec: v.exec,
      since: v.since,
      timeoutMs: timeoutMs(v.timeout),
      checkSslCertificate: v.noCheckSslCertificate !== true,
      loglevel: logLevel(v.loglevel),
      configFile: loaded.configFile,
      sources: loaded.sources as Record<string, string>,
      warnings: loaded.warnings,
    },
  };
}

function fail(message: string): never {
  throw new UsageError(message);
}

function logLevel(text: string | undefined): LogLevel {
  if (text === undefined) return DEFAULT_LOG_LEVEL;
  return parseLogLevel(text) ?? fail(`invalid log level "${text}" (use one of ${LOG_LEVELS.join(", ")})`);
}

function timeoutMs(seconds: number | undefined): number {
  if (seconds === undefined) return DEFAULT_TIMEOUT_MS;
  if (!(seconds > 0) || seconds > MAX_TIMEOUT_SECONDS)
    fail(`timeout has to be more than 0 and at most ${MAX_TIMEOUT_SECONDS} seconds, got ${seconds}`);
  return Math.max(1, Math.round(seconds * 1000));
}

/** The send endpoint: an explicit endpoint, else the server's `/push/send.php`, else the AlertR service. */
function sendEndpoint(endpoint: string | undefined, server: string | undefined): string {
  if (endpoint !== undefined) return checkHttpUrl(endpoint, "endpoint");
  if (server !== undefined) return `${checkHttpUrl(server, "server").replace(/\/+$/, "")}/push/send.php`;
  return DEFAULT_ENDPOINT;
}

function checkHttpUrl(text: string, what: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) fail(`${what} has to be an http:// or https:// URL, got "${text}"`);
  return text;
}
