/**
 * One channel's event stream for `lightweight-push listen`: a long-lived
 * `GET /v1/channels/{prefixedChannel}/events` over `node:http(s)`, parsed
 * with {@link SseParser}, reconnected with capped exponential backoff and
 * resumed from the last event id so that nothing is lost across network
 * loss or a server restart.
 *
 * @module
 */
import type { IncomingHttpHeaders } from "node:http";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Clock } from "../client/clock.js";
import { type SseEvent, SseParser } from "../receiver/sse-parser.js";

/** First reconnect wait before jitter, in milliseconds. */
export const DEFAULT_RECONNECT_INITIAL_DELAY_MS = 1_000;
/** Longest reconnect wait, in milliseconds. */
export const DEFAULT_RECONNECT_MAX_DELAY_MS = 60_000;
/** Longest wait for the server to answer a subscription, in milliseconds. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
/**
 * Silence after which a connection counts as dead. The server sends comment
 * heartbeats well within this, so only a connection that vanished without a
 * reset (a dropped network) stays silent this long.
 */
export const DEFAULT_IDLE_TIMEOUT_MS = 90_000;

/**
 * The wait before reconnect number `failures` (0-based): the initial delay
 * doubled per consecutive failure, capped, then scaled by a jitter factor
 * between 0.5 and 1 so that many listeners do not reconnect in lockstep
 * after a server restart.
 *
 * @example
 * reconnectDelayMs(3, 0.5, 1000, 60000) // 6000: 8000 scaled by 0.75
 */
export function reconnectDelayMs(failures: number, jitter01: number, initialDelayMs: number, maxDelayMs: number): number {
  const base = Math.min(initialDelayMs * 2 ** Math.min(failures, 30), maxDelayMs);
  return Math.round(base * (0.5 + 0.5 * Math.min(Math.max(jitter01, 0), 1)));
}

/** A failure that reconnecting cannot cure (wrong URL, not a push server). */
export class StreamFatalError extends Error {
  constructor(
    message: string,
    /** HTTP status of the refusal, when there was one. */
    readonly httpStatus?: number,
  ) {
    super(message);
    this.name = "StreamFatalError";
  }
}

/** What a stream reports besides events. */
export type StreamStatus =
  | { readonly kind: "connected"; readonly reconnect: boolean }
  | { readonly kind: "reconnecting"; readonly reason: string; readonly delayMs: number; readonly attempt: number };

/** Settings of {@link runChannelStream}. */
export interface ChannelStreamOptions {
  /** The channel's events URL (see `channelEventsUrl`), without a query. */
  readonly url: string;
  /**
   * `?since=` of the first connection (`all`, a message id or unix seconds).
   * Later connections resume with `Last-Event-ID` instead.
   * @default undefined (live messages only)
   */
  readonly since?: string | undefined;
  /**
   * Whether to verify the server's TLS certificate.
   * @default true
   */
  readonly checkCertificate?: boolean | undefined;
  /** @default 1000 */
  readonly reconnectInitialDelayMs?: number | undefined;
  /** @default 60000 */
  readonly reconnectMaxDelayMs?: number | undefined;
  /**
   * How long connecting may take, up to the response headers.
   * @default 30000
   */
  readonly connectTimeoutMs?: number | undefined;
  /**
   * Silence on an open stream after which it counts as dead.
   * @default 90000
   */
  readonly idleTimeoutMs?: number | undefined;
  /** Sleeps between reconnects; reads the time when the server sends no `Date`. */
  readonly clock: Clock;
  /**
   * Jitter source, a number in [0, 1).
   * @default Math.random
   */
  readonly jitter?: (() => number) | undefined;
  /** Ends the stream; {@link runChannelStream} then resolves. */
  readonly signal: AbortSignal;
  /** `User-Agent` header. */
  readonly userAgent?: string | undefined;
  /** Called for every complete SSE event, in order. */
  readonly onEvent: (event: SseEvent) => void;
  readonly onStatus?: ((status: StreamStatus) => void) | undefined;
}

interface ConnectionOutcome {
  /** Whether the server accepted the subscription before the connection ended. */
  readonly connected: boolean;
  readonly reason: string;
  readonly retryAfterMs?: number;
}

/**
 * Runs one channel's stream until `signal` aborts (resolves) or the server
 * refuses in a way retrying cannot fix (rejects with
 * {@link StreamFatalError}).
 *
 * Resuming: after the first event with an id, every reconnect sends
 * `Last-Event-ID`. Before that, a reconnect repeats the first `since`, or,
 * without one, asks for everything since the server's clock at the first
 * connection, so that a message sent while the connection was down is
 * still delivered. Events already seen come again in that case; the
 * receiver drops them by id.
 */
export async function runChannelStream(options: ChannelStreamOptions): Promise<void> {
  const initialDelayMs = options.reconnectInitialDelayMs ?? DEFAULT_RECONNECT_INITIAL_DELAY_MS;
  const maxDelayMs = options.reconnectMaxDelayMs ?? DEFAULT_RECONNECT_MAX_DELAY_MS;
  const jitter = options.jitter ?? Math.random;
  let lastEventId: string | undefined;
  let since = options.since;
  let everConnected = false;
  let failures = 0;

  const onEvent = (event: SseEvent): void => {
    if (event.id !== undefined && event.id !== "") lastEventId = event.id;
    options.onEvent(event);
  };

  while (!options.signal.aborted) {
    const outcome = await connectOnce(options, lastEventId, since, onEvent, (headers) => {
      if (lastEventId === undefined && since === undefined) since = String(serverTimeSeconds(headers, options.clock));
      options.onStatus?.({ kind: "connected", reconnect: everConnected });
      everConnected = true;
    });
    if (options.signal.aborted) return;
    if (outcome.connected) failures = 0;
    const delayMs = Math.max(reconnectDelayMs(failures, jitter(), initialDelayMs, maxDelayMs), outcome.retryAfterMs ?? 0);
    failures++;
    options.onStatus?.({ kind: "reconnecting", reason: outcome.reason, delayMs, attempt: failures });
    try {
      await options.clock.sleep(delayMs, options.signal);
    } catch {
      return;
    }
  }
}

function serverTimeSeconds(headers: IncomingHttpHeaders, clock: Clock): number {
  // The server's clock decides what "since" means, so prefer its Date header over ours.
  const date = headers.date === undefined ? Number.NaN : Date.parse(headers.date);
  return Math.floor((Number.isFinite(date) ? date : clock.nowMs()) / 1000);
}

function connectOnce(
  options: ChannelStreamOptions,
  lastEventId: string | undefined,
  since: string | undefined,
  onEvent: (event: SseEvent) => void,
  onConnected: (headers: IncomingHttpHeaders) => void,
): Promise<ConnectionOutcome> {
  return new Promise((resolve, reject) => {
    const url = new URL(options.url);
    const headers: Record<string, string> = { accept: "text/event-stream", "cache-control": "no-store" };
    if (options.userAgent !== undefined) headers["user-agent"] = options.userAgent;
    if (lastEventId !== undefined) headers["last-event-id"] = lastEventId;
    else if (since !== undefined) url.searchParams.set("since", since);
    const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;

    let connected = false;
    let settled = false;
    const finish = (reason: string, retryAfterMs?: number): void => {
      if (settled) return;
      settled = true;
      resolve({ connected, reason, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
    };
    const fail = (error: StreamFatalError): void => {
      if (settled) return;
      settled = true;
      req.destroy();
      reject(error);
    };

    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    const req = send(url, {
      method: "GET",
      headers,
      signal: options.signal,
      rejectUnauthorized: options.checkCertificate ?? true,
      timeout: connectTimeoutMs,
    });
    let timeoutReason = `no answer within ${connectTimeoutMs / 1000} s`;
    req.on("timeout", () => req.destroy(new Error(timeoutReason)));
    req.on("error", (error) => finish(describeNetworkError(error)));
    req.on("response", (res) => {
      const status = res.statusCode ?? 0;
      if (status !== 200) {
        res.resume();
        if (status === 408 || status === 429 || status >= 500) finish(`HTTP ${status}`, retryAfterMs(res.headers["retry-after"]));
        else fail(new StreamFatalError(`the server refused the subscription with HTTP ${status}${statusHint(status)}`, status));
        return;
      }
      if (!/^text\/event-stream\b/i.test(res.headers["content-type"] ?? "")) {
        res.resume();
        fail(new StreamFatalError("the server did not answer with an event stream; is --server the URL of a Lightweight Push server?"));
        return;
      }
      connected = true;
      timeoutReason = `no data for ${idleTimeoutMs / 1000} s`;
      res.socket.setTimeout(idleTimeoutMs);
      onConnected(res.headers);
      res.setEncoding("utf8");
      const parser = new SseParser(onEvent);
      res.on("data", (chunk: string) => parser.push(chunk));
      res.on("end", () => finish("the server closed the stream"));
      res.on("error", (error) => finish(describeNetworkError(error)));
      res.on("close", () => finish("the connection closed"));
    });
    req.end();
  });
}

function statusHint(status: number): string {
  if (status === 404) return " (is --server the URL of a Lightweight Push server?)";
  if (status === 401 || status === 403) return " (not allowed to read this channel)";
  return "";
}

function retryAfterMs(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const seconds = Number(header);
  // Bounded so that a misconfigured proxy cannot park the listener for days.
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds, 3600) * 1000 : undefined;
}

function describeNetworkError(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown };
  if (e.code === "ECONNREFUSED") return "connection refused";
  if (e.code === "ECONNRESET") return "connection reset";
  if (e.code === "ENOTFOUND" || e.code === "EAI_AGAIN") return "host not found";
  return typeof e.message === "string" && e.message !== "" ? e.message : "connection failed";
}
