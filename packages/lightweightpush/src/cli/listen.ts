/**
 * `lightweight-push listen`: subscribes to channels on a Lightweight Push
 * server, decrypts each message on this machine and prints it, prints it
 * as JSON, or runs a command for it. Runs until interrupted.
 *
 * @module
 */
import { nodeCryptoBackend } from "../client/node-crypto.js";
import { prefixedChannel } from "../protocol/channel.js";
import { ExitStatus } from "../protocol/codes.js";
import { Receiver } from "../receiver/receiver.js";
import { channelEventsUrl, parseServerEvent } from "../receiver/server-event.js";
import type { SseEvent } from "../receiver/sse-parser.js";
import { LISTEN_OPTIONS, type ListenConfig, loadListenConfig, SEND_OPTIONS } from "./config.js";
import { UsageError } from "./errors.js";
import type { CliIo } from "./io.js";
import { LISTEN_HELP } from "./listen-help.js";
import { execVariables, formatJsonMessage, formatTextMessage, type ListenedMessage, runExecCommand } from "./listen-output.js";
import { runChannelStream, StreamFatalError, type StreamStatus } from "./listen-stream.js";
import { createLogger, DEFAULT_LOG_LEVEL, type Logger } from "./log.js";
import { readVersion } from "./version.js";

/**
 * Runs `lightweight-push listen ARGS` (without the `listen` word) and
 * resolves with the exit status when `io.signal` aborts (0) or the server
 * refuses a subscription for good. Never throws.
 *
 * @example
 * process.exitCode = await runListen(["-c", "Door", "--server", "https://push.example.org"], processIo());
 */
export async function runListen(argv: readonly string[], io: CliIo): Promise<number> {
  let log = createLogger(DEFAULT_LOG_LEVEL, io.stderr);
  let config: ListenConfig;
  let since: string | undefined;
  try {
    const command = loadListenConfig(argv, io.env);
    if (command.action === "help") {
      io.stdout.write(LISTEN_HELP);
      return ExitStatus.OK;
    }
    config = command.config;
    since = config.since === undefined ? undefined : parseSince(config.since, io.clock.nowMs());
  } catch (error) {
    if (error instanceof UsageError) {
      log.critical(error.message);
      log.critical("try 'lightweight-push listen --help'");
      return ExitStatus.USAGE;
    }
    log.error(`unexpected ${(error as Error)?.name ?? "error"} while reading the settings`);
    return ExitStatus.FAILURE;
  }

  log = createLogger(config.loglevel, io.stderr, [config.sharedSecret]);
  for (const warning of config.warnings) log.warning(warning);
  if (config.exec !== undefined && config.json) log.warning("--json has no effect with --exec: the command gets the fields instead");
  if (log.enabled("DEBUG")) {
    log.debug(`config file: ${config.configFile ?? "none read"}`);
    for (const [key, source] of Object.entries(config.sources)) log.debug(`${key} from ${source}`);
  }

  const channels = [...new Set(config.channels)];
  const subscriptions = await Promise.all(
    channels.map(async (channel) => ({ channel, prefixed: await prefixedChannel(config.username, channel, nodeCryptoBackend) })),
  );
  const receiver = new Receiver({ username: config.username, sharedSecret: config.sharedSecret, crypto: nodeCryptoBackend });
  const handler = new MessageHandler(config, io, log, receiver);

  // One controller for all streams: an interrupt or one fatal refusal stops every channel.
  const stop = new AbortController();
  const onInterrupt = (): void => stop.abort();
  if (io.signal.aborted) stop.abort();
  io.signal.addEventListener("abort", onInterrupt, { once: true });
  // When whoever reads our output goes away (`listen --json | head -1`), listening is over.
  const onOutputClosed = (): void => {
    log.info("standard output closed; stopping");
    stop.abort();
  };
  if (io.outputClosed?.aborted) stop.abort();
  io.outputClosed?.addEventListener("abort", onOutputClosed, { once: true });
  let fatal: StreamFatalError | undefined;
  const server = displayUrl(config.server);
  const userAgent = `lightweight-push/${readVersion()}`;

  try {
    await Promise.all(
      subscriptions.map(({ channel, prefixed }) =>
        runChannelStream({
          url: channelEventsUrl(config.server, prefixed),
          since,
          checkCertificate: config.checkSslCertificate,
          connectTimeoutMs: config.timeoutMs,
          clock: io.clock,
          signal: stop.signal,
          userAgent,
          onEvent: (event) => handler.enqueue(channel, prefixed, event),
          onStatus: (status) => reportStatus(log, status, channel, prefixed, server),
        }).catch((error: unknown) => {
          // Only a refusal's own message: an unexpected error's message is not known to be free of secrets.
          const refusal =
            error instanceof StreamFatalError ? error : new StreamFatalError(`unexpected ${(error as Error)?.name ?? "error"}`);
          fatal ??= refusal;
          log.error(`channel ${channel}: ${refusal.message}`);
          stop.abort();
        }),
      ),
    );
    // Messages already received are still shown; only --exec commands not yet started are skipped.
    await handler.idle();
  } finally {
    io.signal.removeEventListener("abort", onInterrupt);
    io.outputClosed?.removeEventListener("abort", onOutputClosed);
  }
  if (fatal) {
    if (fatal.httpStatus === 401) return ExitStatus.AUTH;
    if (fatal.httpStatus === 403) return ExitStatus.PERMISSION;
    return ExitStatus.FAILURE;
  }
  log.info("stopped");
  return ExitStatus.OK;
}

/** Opens, then prints or executes, one message at a time in arrival order. */
class MessageHandler {
  #queue: Promise<void> = Promise.resolve();
  readonly #execEnv: Readonly<Record<string, string>>;

  constructor(
    private readonly config: ListenConfig,
    private readonly io: CliIo,
    private readonly log: Logger,
    private readonly receiver: Receiver,
  ) {
    this.#execEnv = inheritedEnvironment(io.env, config.sharedSecret);
  }

  enqueue(channel: string, prefixed: string, event: SseEvent): void {
    this.#queue = this.#queue
      .then(() => this.#handle(channel, prefixed, event))
      .catch((error: unknown) => {
        // Only the class name: an unexpected error's message is not known to be free of secrets.
        this.log.error(`unexpected ${(error as Error)?.name ?? "error"} while handling a message on channel ${channel}`);
      });
  }

  idle(): Promise<void> {
    return this.#queue;
  }

  async #handle(channel: string, prefixed: string, sse: SseEvent): Promise<void> {
    if (sse.event !== "message") {
      this.log.debug(`channel ${channel}: ignored an event of type "${sse.event}"`);
      return;
    }
    const event = parseServerEvent(sse.data);
    if (!event) {
      this.log.error(`event ${sse.id ?? "without id"} on channel ${channel} is not a valid message event; skipped`);
      return;
    }
    const result = await this.receiver.open(event, prefixed);
    if (!result) {
      this.log.debug(`message ${event.id} on channel ${channel} was already shown; dropped`);
      return;
    }
    if (result.kind === "error") {
      this.log.error(
        `message ${event.id} on channel ${channel} could not be decrypted (wrong shared secret or username, or tampered with); not shown`,
      );
      return;
    }
    const message: ListenedMessage = {
      channel,
      prefixedChannel: prefixed,
      id: result.id,
      serverTime: result.serverTime,
      envelope: result.envelope,
      payload: result.payload,
    };
    if (this.config.exec !== undefined) await this.#exec(this.config.exec, message);
    else this.io.stdout.write(this.config.json ? formatJsonMessage(message) : formatTextMessage(message));
  }

  async #exec(command: string, message: ListenedMessage): Promise<void> {
    if (this.io.signal.aborted) {
      this.log.warning(`interrupted: --exec not run for message ${message.id} on channel ${message.channel}`);
      return;
    }
    try {
      const env = { ...this.#execEnv, ...execVariables(message) };
      const result = await runExecCommand(command, env, { stdout: this.io.stdout, stderr: this.io.stderr }, this.io.signal);
      if (result.status !== 0) {
        const how = result.status === null ? `was ended by ${result.signal}` : `exited with status ${result.status}`;
        this.log.warning(`--exec command ${how} for message ${message.id} on channel ${message.channel}`);
      }
    } catch (error) {
      this.log.error(`--exec command could not be started (${(error as NodeJS.ErrnoException).code ?? "error"})`);
    }
  }
}

/**
 * The environment an `--exec` command inherits: ours without the
 * variables that hold a password or shared secret, and without any other
 * variable whose value is the shared secret.
 */
function inheritedEnvironment(env: Readonly<Record<string, string | undefined>>, sharedSecret: string): Record<string, string> {
  const secretNames = new Set<string>([LISTEN_OPTIONS.sharedSecret.env, SEND_OPTIONS.password.env]);
  const inherited: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || secretNames.has(name) || value === sharedSecret) continue;
    inherited[name] = value;
  }
  return inherited;
}

function reportStatus(log: Logger, status: StreamStatus, channel: string, prefixed: string, server: string): void {
  if (status.kind === "connected") {
    if (status.reconnect) log.warning(`channel ${channel}: reconnected`);
    else log.info(`listening on channel ${channel} (${prefixed}) at ${server}`);
    return;
  }
  log.warning(`channel ${channel}: ${status.reason}; reconnecting in ${(status.delayMs / 1000).toFixed(1)} s (attempt ${status.attempt})`);
}

/** The server URL without user:password@, for messages. */
function displayUrl(text: string): string {
  const url = new URL(text);
  url.username = "";
  url.password = "";
  return url.toString().replace(/\/$/, "");
}

const DURATION_UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 };

/**
 * Turns `--since` into the server's `?since=`: `all` and whole numbers (a
 * message id or a unix time; the server tells them apart) pass unchanged,
 * a duration (`10m`) counts back from `nowMs`, an ISO 8601 time becomes
 * unix seconds. Throws {@link UsageError} for anything else.
 *
 * @example
 * parseSince("2h", Date.parse("2026-12-04T10:00:00Z")) // "1796364000"
 */
export function parseSince(text: string, nowMs: number): string {
  const value = text.trim();
  if (value === "all" || /^\d{1,15}$/.test(value)) return value;
  const duration = /^(\d{1,9})([smhd])$/.exec(value);
  if (duration) return String(Math.max(0, Math.floor(nowMs / 1000) - Number(duration[1]) * DURATION_UNIT_SECONDS[duration[2]!]!));
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    const ms = Date.parse(value);
    if (Number.isFinite(ms) && ms >= 0) return String(Math.floor(ms / 1000));
  }
  throw new UsageError(`--since "${text}" is not all, a message id, a unix time, an ISO 8601 time or a duration such as 10m`);
}
