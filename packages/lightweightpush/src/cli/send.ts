/**
 * `lightweight-push [send]`: one message from the command line, with the
 * original console tool's flags, Unix-quiet success, one line per retry
 * and a distinct exit status per failure class.
 *
 * @module
 */
import { LightweightPush, type RetryInfo } from "../client/lightweight-push.js";
import { nodeCryptoBackend } from "../client/node-crypto.js";
import { prefixedChannel } from "../protocol/channel.js";
import { describeResultCode, ExitStatus } from "../protocol/codes.js";
import { InvalidInputError, SendError } from "../protocol/errors.js";
import { serializeFrame } from "../protocol/frame.js";
import { loadSendConfig, type SendCommand, type SendConfig } from "./config.js";
import { UsageError } from "./errors.js";
import { type CliIo, INTERRUPTED_EXIT_STATUS } from "./io.js";
import { createLogger, DEFAULT_LOG_LEVEL, type Logger } from "./log.js";

/**
 * Runs `lightweight-push [send] ARGS` (without the `send` word) and
 * resolves with the exit status. Never throws.
 *
 * @example
 * const status = await runSend(["-c", "Door", "--sbj", "Door", "--msg", "Opened"], io);
 */
export async function runSend(argv: readonly string[], io: CliIo): Promise<number> {
  let log = createLogger(DEFAULT_LOG_LEVEL, io.stderr);
  let command: SendCommand;
  try {
    command = loadSendConfig(argv, io.env);
  } catch (error) {
    return reportSetupError(error, log);
  }
  // Help and version are loaded on demand: a send should not pay for them at start-up.
  if (command.action === "help") {
    io.stdout.write((await import("./help.js")).SEND_HELP);
    return ExitStatus.OK;
  }
  if (command.action === "version") {
    io.stdout.write(`lightweight-push ${(await import("./version.js")).readVersion()}\n`);
    return ExitStatus.OK;
  }
  const config = command.config;

  log = createLogger(config.loglevel, io.stderr, [config.password, config.sharedSecret]);
  for (const warning of config.warnings) log.warning(warning);
  if (log.enabled("DEBUG")) debugSettings(config, log);

  let message = config.message;
  if (message === undefined) {
    if (io.stdin.isTTY) {
      log.critical("no message given: use --msg MESSAGE or pipe the message on stdin");
      return ExitStatus.USAGE;
    }
    log.debug("reading the message from stdin");
    try {
      message = await io.stdin.readText(io.signal);
    } catch (error) {
      if (io.signal.aborted) {
        log.error("interrupted while reading the message from stdin; nothing was sent");
        return INTERRUPTED_EXIT_STATUS;
      }
      log.error(`cannot read the message from stdin (${(error as NodeJS.ErrnoException)?.code ?? "error"}); nothing was sent`);
      return ExitStatus.FAILURE;
    }
  }
  if (log.enabled("DEBUG")) await debugFrame(config, message, log);

  const maxAttempts = config.maxRetries === -1 ? "unlimited" : String(config.maxRetries + 1);
  const onRetry = (retry: RetryInfo) => {
    const info = describeResultCode(retry.code);
    log.warning(
      `attempt ${retry.attempt} of ${maxAttempts} failed (code ${retry.code}, ${info.name}): ${info.meaning}; retrying in ${formatSeconds(retry.delayMs)}`,
    );
  };

  try {
    const push = new LightweightPush(config.username, config.password, config.sharedSecret, {
      endpoint: config.endpoint,
      envelope: config.envelope,
      checkCertificate: config.checkSslCertificate,
      // One send, then the process exits: nothing to keep a connection for.
      keepAlive: false,
      clock: io.clock,
    });
    const receipt = await push.sendMsg(config.subject, message, config.channel, {
      state: config.state,
      timeTriggered: config.timeTriggered,
      maxRetries: config.maxRetries,
      timeoutMs: config.timeoutMs,
      signal: io.signal,
      onRetry,
    });
    if (receipt.truncated) log.warning("subject or message was cut to fit the 1400-character limit (marked *TRUNC*)");
    log.info(`sent to ${receipt.channel} in ${receipt.attempts} attempt${receipt.attempts === 1 ? "" : "s"}`);
    return ExitStatus.OK;
  } catch (error) {
    if (io.signal.aborted) {
      log.error("interrupted; the message may not have been sent");
      return INTERRUPTED_EXIT_STATUS;
    }
    if (error instanceof SendError) {
      log.error(describeSendError(error));
      return describeResultCode(error.code).exitStatus;
    }
    if (error instanceof InvalidInputError) {
      log.critical(error.message);
      return ExitStatus.USAGE;
    }
    // Only the class name: an unexpected error's message is not known to be free of secrets.
    log.error(`unexpected ${(error as Error)?.name ?? "error"}; run with -l DEBUG for details`);
    if (log.enabled("DEBUG")) log.debug(String((error as Error)?.stack ?? error));
    return ExitStatus.FAILURE;
  }
}

function reportSetupError(error: unknown, log: Logger): number {
  if (error instanceof UsageError) {
    log.critical(error.message);
    log.critical("try 'lightweight-push --help'");
    return ExitStatus.USAGE;
  }
  log.error(`unexpected ${(error as Error)?.name ?? "error"} while reading the settings`);
  return ExitStatus.FAILURE;
}

/** One line for a send that ended without NO_ERROR: what happened, the code, what to do. */
export function describeSendError(error: SendError): string {
  const info = describeResultCode(error.code);
  const code = `(code ${error.code}, ${info.name})`;
  switch (info.exitStatus) {
    case ExitStatus.AUTH:
      return `authentication failed ${code}: check username and password`;
    case ExitStatus.ILLEGAL_MESSAGE:
      return `the server refused the request as malformed ${code}: check --endpoint`;
    case ExitStatus.VERSION_MISMATCH:
      return `protocol version mismatch ${code}: the server speaks another version; check --endpoint or update lightweight-push`;
    case ExitStatus.PERMISSION:
      return `permission denied ${code}: this account may not send to that channel`;
    case ExitStatus.TOO_LARGE:
      return `message too large to deliver ${code}: shorten subject or message`;
    case ExitStatus.GAVE_UP:
      return `gave up after ${error.attempts} attempt${error.attempts === 1 ? "" : "s"} ${code}: ${info.meaning}`;
    default:
      return `send failed ${code}: ${info.meaning}`;
  }
}

function formatSeconds(ms: number): string {
  return Number.isInteger(ms / 1000) ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

function debugSettings(config: SendConfig, log: Logger): void {
  log.debug(`config file: ${config.configFile ?? "none read"}`);
  for (const [key, source] of Object.entries(config.sources)) log.debug(`${key} from ${source}`);
  log.debug(
    `username ${config.username}, channel ${config.channel}, endpoint ${redactUrl(config.endpoint)}, envelope ${config.envelope}, ` +
      `max retries ${config.maxRetries}, timeout ${config.timeoutMs} ms, check certificate ${config.checkSslCertificate}; password and shared secret not shown`,
  );
}

/** The frame as sent, but with the password and the encrypted data left out. */
async function debugFrame(config: SendConfig, message: string, log: Logger): Promise<void> {
  const channel = await prefixedChannel(config.username, config.channel, nodeCryptoBackend);
  const frame = serializeFrame({ username: config.username, password: "<not shown>", channel, data: "<encrypted, not shown>" });
  log.debug(`frame: ${frame}`);
  log.debug(`subject ${config.subject.length} and message ${message.length} characters, encrypted with envelope v${config.envelope}`);
}

/** Drops user:password@ from a URL before it is shown. */
function redactUrl(text: string): string {
  const url = new URL(text);
  if (url.username || url.password) {
    url.username = "";
    url.password = "";
  }
  return url.toString();
}
