/**
 * Building a send request apart from sending it, and the two ways of
 * sending it: `node:http(s)` (the default: starts fast and can skip
 * certificate checks) or any `fetch`.
 *
 * @module
 */
import { request as httpRequest } from "node:http";
import { createRequire } from "node:module";
import { ResultCode } from "../protocol/codes.js";

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

/** Sends one request; rejects with a {@link TransportError} when no reply came. */
export type Transport = (request: PushRequest, signal: AbortSignal) => Promise<PushReply>;

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

function failure(signal: AbortSignal, cause: unknown): TransportError {
  const timedOut = signal.aborted && (signal.reason as { name?: string } | undefined)?.name === "TimeoutError";
  return new TransportError(timedOut ? ResultCode.CLIENT_TIMEOUT_ERROR : ResultCode.CLIENT_CONNECTION_ERROR, { cause });
}

// node:https pulls in node:tls, a few milliseconds of start-up that a
// one-shot send to an http:// endpoint would pay for nothing; so it is
// loaded, synchronously, at the first https request.
let httpsRequest: typeof import("node:https").request | undefined;
function loadHttpsRequest(): typeof import("node:https").request {
  httpsRequest ??= (createRequire(import.meta.url)("node:https") as typeof import("node:https")).request;
  return httpsRequest;
}

/** A {@link Transport} on `node:http` and `node:https`. */
export function nodeTransport(options: { checkCertificate?: boolean } = {}): Transport {
  const rejectUnauthorized = options.checkCertificate ?? true;
  const send = (request: PushRequest, signal: AbortSignal, retryStaleSocket: boolean): Promise<PushReply> =>
    new Promise((resolve, reject) => {
      const url = new URL(request.url);
      const requestFn = url.protocol === "https:" ? loadHttpsRequest() : httpRequest;
      const body = Buffer.from(request.body);
      const req = requestFn(url, {
        method: request.method,
        headers: { ...request.headers, "content-length": String(body.length) },
        rejectUnauthorized,
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
  return (request, signal) => send(request, signal, true);
}

/** A {@link Transport} on a `fetch` implementation. */
export function fetchTransport(fetchImpl: typeof fetch): Transport {
  return async (request, signal) => {
    try {
      const response = await fetchImpl(request.url, { method: request.method, headers: request.headers, body: request.body, signal });
      return { status: response.status, body: await response.text() };
    } catch (error) {
      throw failure(signal, error);
    }
  };
}
