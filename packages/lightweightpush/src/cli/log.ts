/**
 * The CLI's diagnostics on stderr, with the five levels of Python's
 * `logging` that the original console tool accepted. Each line starts with
 * `lightweight-push:`; below ERROR the level is named too. As a last line
 * of defence every line has the configured secrets masked, although no
 * code path is meant to log one.
 *
 * @module
 */
import type { TextWriter } from "./io.js";

/** Log levels, least to most severe, as in Python's `logging`. */
export const LOG_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] as const;

/** A log level name. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The level used when none is configured: quiet on success, as Unix tools are. */
export const DEFAULT_LOG_LEVEL: LogLevel = "WARNING";

/** Writes diagnostics at or above its level. */
export interface Logger {
  readonly level: LogLevel;
  /** Whether a line at `level` would be written (to skip work for DEBUG lines). */
  enabled(level: LogLevel): boolean;
  debug(text: string): void;
  info(text: string): void;
  warning(text: string): void;
  error(text: string): void;
  critical(text: string): void;
}

/** Shortest secret that is masked; shorter ones would mask ordinary words and digits. */
const MIN_MASKED_LENGTH = 3;

/**
 * Creates a logger writing to `stderr`. `secrets` (password, shared
 * secret) are replaced by `***` wherever they would appear.
 *
 * @example
 * const log = createLogger("INFO", io.stderr, [password, sharedSecret]);
 * log.info("sent to 538113b2_MyChannel in 1 attempt");
 * // stderr: "lightweight-push: info: sent to 538113b2_MyChannel in 1 attempt\n"
 */
export function createLogger(level: LogLevel, stderr: TextWriter, secrets: readonly (string | undefined)[] = []): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  const masked = secrets.filter((s): s is string => typeof s === "string" && s.length >= MIN_MASKED_LENGTH);
  // Longest first, so that a secret containing another is masked whole.
  masked.sort((a, b) => b.length - a.length);
  const enabled = (at: LogLevel) => LOG_LEVELS.indexOf(at) >= threshold;
  const write = (at: LogLevel, text: string) => {
    if (!enabled(at)) return;
    let line = at === "ERROR" || at === "CRITICAL" ? `lightweight-push: ${text}` : `lightweight-push: ${at.toLowerCase()}: ${text}`;
    for (const secret of masked) line = line.split(secret).join("***");
    stderr.write(`${line}\n`);
  };
  return {
    level,
    enabled,
    debug: (text) => write("DEBUG", text),
    info: (text) => write("INFO", text),
    warning: (text) => write("WARNING", text),
    error: (text) => write("ERROR", text),
    critical: (text) => write("CRITICAL", text),
  };
}

/** Reads a level name case-insensitively, as the original did; `undefined` if it is not one. */
export function parseLogLevel(text: string): LogLevel | undefined {
  const upper = text.toUpperCase();
  return (LOG_LEVELS as readonly string[]).includes(upper) ? (upper as LogLevel) : undefined;
}
