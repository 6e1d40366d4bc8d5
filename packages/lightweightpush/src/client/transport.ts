/**
 * Building a send request apart from sending it, and the two ways of
 * sending it: `node:http(s)` (the default: starts fast and can skip
 * certificate checks) or any `fetch`.
 *
 * @module
 */
import { createRequire } from "node:module";
import { ResultCode } from "../protocol/codes.js";
import { postOnce } from "./one-shot-http.js";

/** A request, fully built, not yet sent. */
export interface PushRequest {
  readonly url: string;
  readonly method: "POST";
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** A reply: HTTP status and body text. */
export interface PushReply {
  readonly status: number;
  readonly body: string;
}

/** How one attempt may go on. */
export interface AttemptOptions {
  /** Aborts the attempt. */
  readonly signal?: AbortSignal | undefined;
  /** The attempt fails with CLIENT_TIMEOUT_ERROR when no reply came within this time. */
  readonly timeoutMs: number;
}

/**
 * Sends one request; rejects with a {@link TransportError} when no reply
 * came (on abort too: the caller knows its signal).
 */
export type Transport = (request: PushRequest, options: AttemptOptions) => Promise<PushReply>;

/** No reply: the connection failed or the attempt timed out. `code` is the client-side result code. */
export class TransportError extends Error {
  constructor(
    readonly code: typeof ResultCode.CLIENT_CONNECTION_ERROR | typeof ResultCode.CLIENT_TIMEOUT_ERROR,
    options?: { cause?: unknown },
  ) {
    super(code === ResultCode.CLIENT_TIMEOUT_ERROR ? "request timed out" : "connection failed", options);
    this.name = "TransportError";
  }
}

/** Characters that encodeURIComponent leaves as they are and Python's urlencode escapes. */
const PYTHON_ONLY_ESCAPES: readonly (readonly [string, string])[] = [
  ["!", "%21"],
  ["'", "%27"],
  ["(", "%28"],
  [")", "%29"],
  ["*", "%2A"],
];

/**
 * Form encoding of one value as Python's `urlencode` (the original client)
 * writes it: letters, digits and `_.-~` stay, space becomes `+`, everything
 * else `%XX`. About twice as fast as `URLSearchParams` for a frame. The
 * frame is pure ASCII, so `encodeURIComponent` cannot meet a lone surrogate.
 */
function formEncode(value: string): string {
  // Plain-string replaceAll searches far faster than a regular expression.
  let out = encodeURIComponent(value).replaceAll("%20", "+");
  for (const [char, escaped] of PYTHON_ONLY_ESCAPES) if (out.includes(char)) out = out.replaceAll(char, escaped);
  return out;
}

/**
 * The form-encoded POST the AlertR web bridge expects: one field `data`
 * holding the frame.
 */
export function buildPushRequest(endpoint: string, frame: string): PushRequest {
  return {
    url: endpoint,
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: `data=${formEncode(frame)}`,
  };
}

/** The attempt's signal: aborts on the caller's signal or after the timeout. */
function attemptSignal(options: AttemptOptions): AbortSignal {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  return options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
}

function failure(signal: AbortSignal, cause: unknown): TransportError {
  const timedOut = signal.aborted && (signal.reason as { name?: string } | undefined)?.name === "TimeoutError";
  return new TransportError(timedOut ? ResultCode.CLIENT_TIMEOUT_ERROR : ResultCode.CLIENT_CONNECTION_ERROR, { cause });
}

// Loaded at the first request that needs them, synchronously: node:https
// pulls in node:tls, and a one-shot send to an http:// endpoint needs
// neither (see one-shot-http.ts); each costs it milliseconds of start-up.
// Typed as https.request, whose options are http.request's plus TLS ones
// (which http.request ignores).
type RequestFn = typeof import("node:https").request;
let httpRequest: RequestFn | undefined;
let httpsRequest: RequestFn | undefined;
function loadRequest(protocol: string): RequestFn {
  // createRequire only on a first load: it costs about 2 us, on the path of every send.
  if (protocol === "https:") {
    httpsRequest ??= (createRequire(import.meta.url)("node:https") as typeof import("node:https")).request;
    return httpsRequest;
  }
  httpRequest ??= (createRequire(import.meta.url)("node:http") as typeof import("node:http")).request as RequestFn;
  return httpRequest;
}

/** Options of {@link nodeTransport}. */
export interface NodeTransportOptions {
  /**
   * Whether to verify the server's TLS certificate.
   * @default true
   */
  readonly checkCertificate?: boolean | undefined;
  /**
   * Whether connections stay open for the next request (node's global
   * agent). With `false`, a plain-HTTP request goes out on a connection of
   * its own through a small HTTP/1.1 client that starts faster: for a
   * process that sends once and exits.
   * @default true
   */
  readonly keepAlive?: boolean | undefined;
}

/** A {@link Transport} on `node:http` and `node:https`. */
export function nodeTransport(options: NodeTransportOptions = {}): Transport {
  const rejectUnauthorized = options.checkCertificate ?? true;
  const keepAlive = options.keepAlive ?? true;
  const send = (request: PushRequest, signal: AbortSignal, retryStaleSocket: boolean): Promise<PushReply> =>
    new Promise((resolve, reject) => {
      const url = new URL(request.url);
      const requestFn = loadRequest(url.protocol);
      const body = Buffer.from(request.body);
      const req = requestFn(url, {
        method: request.method,
        headers: { ...request.headers, "content-length": String(body.length) },
        rejectUnauthorized,
        ...(keepAlive ? {} : { agent: false }),
        signal,
      });
      let answered = false;
      req.on("error", (error) => {
        // A kept-alive socket the server closed meanwhile (say, across a
        // restart) fails before any reply: the request never reached the
        // server, so one immediate retry on a new socket is safe and spares
        // the caller a retry wait.
        if (retryStaleSocket && req.reusedSocket && !answered && !signal.aborted) {
          send(request, signal, false).then(resolve, reject);
        } else {
          reject(failure(signal, error));
        }
      });
      req.on("response", (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", (error) => reject(failure(signal, error)));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      });
      req.end(body);
    });
  return (request, attempt) => {
    if (!keepAlive) {
      const url = new URL(request.url);
      if (url.protocol === "http:") return postOnce(url, request, attempt);
    }
    return send(request, attemptSignal(attempt), true);
  };
}

/** A {@link Transport} on a `fetch` implementation. */
export function fetchTransport(fetchImpl: typeof fetch): Transport {
  return async (request, attempt) => {
    const signal = attemptSignal(attempt);
    try {
      const response = await fetchImpl(request.url, { method: request.method, headers: request.headers, body: request.body, signal });
      return { status: response.status, body: await response.text() };
    } catch (error) {
      throw failure(signal, error);
    }
  };
}
