/**
 * Builds the {@link ServerConfig}: defaults <- config file <- environment
 * <- flags. This is the only server code that reads `process.env`.
 *
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ConfigError, configFields, defaultConfig, envName, type FieldSpec, flagName, type LogLevel, type ServerConfig } from "./config.js";

const LOG_LEVELS: readonly LogLevel[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/** Environment variable naming a JSON config file. */
export const CONFIG_FILE_ENV = "LWP_SERVER_CONFIG";

/** Raw values from the command line, by config key (`true` for a bare boolean flag). */
export type FlagValues = Partial<Record<keyof ServerConfig, string | boolean>>;

/** Inputs of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** Values given as flags. @default {} */
  readonly flags?: FlagValues;
  /** Path of a JSON config file (`--config`); else `LWP_SERVER_CONFIG`; else none. */
  readonly configFile?: string | undefined;
  /** The environment. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * The web app's build output in this monorepo, when it has been built.
 * Both `src/config` (tsx) and `dist/config` sit three levels below `packages/`.
 */
export function defaultWebRoot(): string | undefined {
  const dir = fileURLToPath(new URL("../../../web/dist/", import.meta.url));
  return existsSync(dir) ? dir : undefined;
}

/**
 * Builds the configuration from all sources.
 *
 * @example
 * const config = loadConfig({ flags: { port: "9000" } }); // plus LWP_SERVER_* and --config file
 */
export function loadConfig(options: LoadConfigOptions = {}): ServerConfig {
  const env = options.env ?? process.env;
  const values: Record<string, unknown> = { ...defaultConfig, webRoot: defaultWebRoot() };

  const file = options.configFile ?? env[CONFIG_FILE_ENV];
  if (file !== undefined && file !== "") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, "utf8"));
    } catch (error) {
      throw new ConfigError(`cannot read config file ${file}: ${(error as Error).message}`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new ConfigError(`config file ${file} must hold a JSON object`);
    }
    for (const [key, value] of Object.entries(parsed)) {
      const spec = specOf(key);
      if (spec === undefined) throw new ConfigError(`config file ${file}: unknown key "${key}"`);
      values[key] = fromJson(key, spec, value, `config file key "${key}"`);
    }
  }

  for (const key of Object.keys(configFields) as (keyof ServerConfig)[]) {
    const raw = env[envName(key)];
    if (raw !== undefined) values[key] = fromString(key, configFields[key], raw, envName(key));
  }

  for (const [key, raw] of Object.entries(options.flags ?? {})) {
    const spec = specOf(key);
    if (spec === undefined || raw === undefined) continue;
    const source = flagName(key as keyof ServerConfig);
    values[key] = typeof raw === "boolean" ? fromJson(key, spec, raw, source) : fromString(key, spec, raw, source);
  }
  return finish(values as unknown as ServerConfig);
}

/**
 * Defaults with typed overrides, for tests and in-process servers.
 *
 * @example
 * const config = resolveConfig({ port: 0, dataDir: tmp, webRoot: "" });
 */
export function resolveConfig(overrides: Partial<ServerConfig> = {}): ServerConfig {
  const values: Record<string, unknown> = { ...defaultConfig, webRoot: defaultWebRoot() };
  for (const [key, value] of Object.entries(overrides)) {
    const spec = specOf(key);
    if (spec === undefined) throw new ConfigError(`unknown config key "${key}"`);
    values[key] = fromJson(key, spec, value, `option "${key}"`);
  }
  return finish(values as unknown as ServerConfig);
}

/** A copy safe to log: secret values replaced. */
export function redactConfig(config: ServerConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(configFields) as (keyof ServerConfig)[]) {
    const value = config[key];
    out[key] = configFields[key].secret === true && value !== undefined ? "(set)" : value;
  }
  return out;
}

function finish(config: ServerConfig): ServerConfig {
  // "" is the documented way to switch the web root off.
  const webRoot = config.webRoot === "" ? undefined : config.webRoot;
  return Object.freeze({ ...config, webRoot });
}

function specOf(key: string): FieldSpec | undefined {
  return Object.hasOwn(configFields, key) ? configFields[key as keyof ServerConfig] : undefined;
}

function fromString(key: string, spec: FieldSpec, raw: string, source: string): unknown {
  switch (spec.type) {
    case "string":
    case "optional-string":
      return raw;
    case "integer": {
      if (!/^\d+$/.test(raw.trim())) throw invalid(key, spec, source, "a whole number");
      return checkMin(key, spec, Number(raw.trim()), source);
    }
    case "boolean": {
      const v = raw.trim().toLowerCase();
      if (["1", "true", "yes", "on"].includes(v)) return true;
      if (["0", "false", "no", "off", ""].includes(v)) return false;
      throw invalid(key, spec, source, "true or false");
    }
    case "log-level":
      if (!LOG_LEVELS.includes(raw as LogLevel)) throw invalid(key, spec, source, LOG_LEVELS.join("|"));
      return raw;
  }
}

function fromJson(key: string, spec: FieldSpec, value: unknown, source: string): unknown {
  switch (spec.type) {
    case "string":
      if (typeof value !== "string") throw invalid(key, spec, source, "a string");
      return value;
    case "optional-string":
      if (value !== undefined && value !== null && typeof value !== "string") throw invalid(key, spec, source, "a string");
      return value ?? undefined;
    case "integer":
      if (!Number.isSafeInteger(value)) throw invalid(key, spec, source, "a whole number");
      return checkMin(key, spec, value as number, source);
    case "boolean":
      if (typeof value !== "boolean") throw invalid(key, spec, source, "true or false");
      return value;
    case "log-level":
      if (!LOG_LEVELS.includes(value as LogLevel)) throw invalid(key, spec, source, LOG_LEVELS.join("|"));
      return value;
  }
}

function checkMin(key: string, spec: FieldSpec, value: number, source: string): number {
  if (spec.min !== undefined && value < spec.min) throw invalid(key, spec, source, `at least ${spec.min}`);
  return value;
}

function invalid(key: string, spec: FieldSpec, source: string, expected: string): ConfigError {
  // The value itself is left out: it may be a secret.
  void spec;
  return new ConfigError(`${source} (${key}) must be ${expected}`);
}
