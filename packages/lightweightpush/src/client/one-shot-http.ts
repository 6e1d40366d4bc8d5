/**
 * One plain-HTTP POST on a connection of its own, written straight on
 * `node:net`: for a process that sends once and exits, such as the
 * `lightweight-push` command. Loading and first use of `node:http` cost
 * about a tenth of such a process's life; this small HTTP/1.1 client
 * costs a fraction of that.
 *
 * The reply is read as HTTP/1.1 says: interim 1xx replies skipped, then a
 * body delimited by Content-Length, by chunked encoding, or by the end of
 * the connection. The request asks for `Connection: close`, but the reply
 * is taken as soon as it is complete, whether or not the server closes.
 *
 * @module
 */
import { connect } from "node:net";
import { ResultCode } from "../protocol/codes.js";
import type { AttemptOptions, PushReply, PushRequest } from "./transport.js";
import { TransportError } from "./transport.js";

/** A push server answers with a few bytes; anything much larger is not one. */
const MAX_REPLY_BYTES = 1 << 20;
/** setTimeout fires at once for delays beyond 2^31 - 1 ms (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Why a reply could not be read; the cause of a connection error. */
export class BadReplyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BadReplyError";
  }
}

/**
 * Sends `request` to `url` (an `http:` URL) and resolves with the reply.
 * Rejects with a {@link TransportError}: CLIENT_TIMEOUT_ERROR after
 * `timeoutMs`, CLIENT_CONNECTION_ERROR for anything else (the cause says
 * what), also when `signal` aborts.
 */
export function postOnce(url: URL, request: PushRequest, options: AttemptOptions): Promise<PushReply> {
  return new Promise((resolve, reject) => {
    const { signal } = options;
    if (signal?.aborted) {
      reject(new TransportError(ResultCode.CLIENT_CONNECTION_ERROR, { cause: signal.reason }));
      return;
    }
    const socket = connect(Number(url.port || 80), url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname);
    const reader = new ReplyReader();
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = (): void => fail(ResultCode.CLIENT_CONNECTION_ERROR, signal?.reason);
    function settle(): boolean {
      if (settled) return false;
      settled = true;
      // Cleaning up (closing the socket, above all) costs about a
      // millisecond on first use: done once the caller has its result, so
      // that a process that exits right then does not wait for it.
      setImmediate(() => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        socket.destroy();
      });
      return true;
    }
    function fail(code: TransportError["code"], cause: unknown): void {
      if (settle()) reject(new TransportError(code, { cause }));
    }
    function finish(reply: PushReply | undefined): void {
      if (reply && settle()) resolve(reply);
    }

    socket.on("data", (chunk: Buffer) => {
      try {
        finish(reader.push(chunk));
      } catch (error) {
        fail(ResultCode.CLIENT_CONNECTION_ERROR, error);
      }
    });
    socket.on("end", () => {
      try {
        finish(reader.end());
      } catch (error) {
        fail(ResultCode.CLIENT_CONNECTION_ERROR, error);
      }
    });
    socket.on("error", (error) => fail(ResultCode.CLIENT_CONNECTION_ERROR, error));
    socket.on("close", () => fail(ResultCode.CLIENT_CONNECTION_ERROR, new BadReplyError("connection closed before a reply")));
    // One string, written as UTF-8 (the head is ASCII: URL and header
    // values are). write, not end: a half-closed connection reads to some
    // servers and proxies (nginx among them) as a client that went away.
    socket.write(requestHead(url, request, Buffer.byteLength(request.body)) + request.body);

    // The timer and the abort listener cost about 0.3 ms each on their
    // first use in a process, and a nearby server has often answered
    // before either is needed. So they are set up one at a time, each once
    // the event loop has polled for the reply again (a loopback connection
    // and its write complete in the first poll): the timer after the
    // second poll, the abort listener after the third. A one-shot send
    // whose reply is in by then exits without them; otherwise they are in
    // place within a millisecond of the request leaving.
    const later = (step: () => void): void => {
      setImmediate(() => {
        if (!settled) step();
      });
    };
    later(() =>
      later(() => {
        timer = setTimeout(
          () => fail(ResultCode.CLIENT_TIMEOUT_ERROR, new BadReplyError(`no reply within ${options.timeoutMs} ms`)),
          Math.min(options.timeoutMs, MAX_TIMER_MS),
        );
        later(() => {
          if (signal?.aborted) return onAbort();
          signal?.addEventListener("abort", onAbort, { once: true });
        });
      }),
    );
  });
}

function requestHead(url: URL, request: PushRequest, length: number): string {
  let head = `${request.method} ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n`;
  for (const [name, value] of Object.entries(request.headers)) head += `${name}: ${value}\r\n`;
  if (url.username || url.password) {
    const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    head += `Authorization: Basic ${Buffer.from(credentials).toString("base64")}\r\n`;
  }
  return `${head}Content-Length: ${length}\r\nConnection: close\r\n\r\n`;
}

/** Where the body of the reply being read ends. */
type Framing = { readonly kind: "length"; readonly length: number } | { readonly kind: "chunked" } | { readonly kind: "close" };

/** Reads one HTTP/1.1 reply from the bytes of a connection, as they arrive. */
export class ReplyReader {
  #data: Buffer = Buffer.alloc(0);
  #status = 0;
  #framing: Framing | undefined;

  /** Takes the next bytes; returns the reply once it is complete. Throws {@link BadReplyError} for a malformed reply. */
  push(chunk: Buffer): PushReply | undefined {
    if (this.#data.length + chunk.length > MAX_REPLY_BYTES) throw new BadReplyError("reply too large");
    this.#data = this.#data.length === 0 ? chunk : Buffer.concat([this.#data, chunk]);
    return this.#parse();
  }

  /** The connection ended: returns the reply if the end completes it, else throws. */
  end(): PushReply {
    const reply = this.#parse();
    if (reply) return reply;
    if (this.#framing?.kind === "close") return { status: this.#status, body: this.#data.toString("utf8") };
    throw new BadReplyError(this.#framing ? "connection closed within the reply body" : "connection closed within the reply head");
  }

  #parse(): PushReply | undefined {
    while (!this.#framing) {
      const headEnd = this.#data.indexOf("\r\n\r\n");
      if (headEnd < 0) return undefined;
      const lines = this.#data.toString("latin1", 0, headEnd).split("\r\n");
      this.#data = this.#data.subarray(headEnd + 4);
      const status = parseStatusLine(lines[0] ?? "");
      // Interim replies (100 Continue, 103 Early Hints) precede the real one.
      if (status < 200) continue;
      this.#status = status;
      this.#framing = status === 204 || status === 304 ? { kind: "length", length: 0 } : framingOf(lines.slice(1));
    }
    const framing = this.#framing;
    if (framing.kind === "length") {
      return this.#data.length >= framing.length
        ? { status: this.#status, body: this.#data.toString("utf8", 0, framing.length) }
        : undefined;
    }
    if (framing.kind === "chunked") {
      const body = decodeChunked(this.#data);
      return body && { status: this.#status, body: body.toString("utf8") };
    }
    return undefined;
  }
}

function parseStatusLine(line: string): number {
  // "HTTP/1.1 200 OK": the version, a space, three digits, then a space or nothing.
  const code = line.slice(9, 12);
  if (!line.startsWith("HTTP/1.") || line[8] !== " " || !isNumeral(code, 10, 3) || (line.length > 12 && line[12] !== " ")) {
    throw new BadReplyError("not an HTTP/1.x reply");
  }
  return Number(code);
}

function framingOf(headerLines: readonly string[]): Framing {
  let length: number | undefined;
  let chunked = false;
  for (const line of headerLines) {
    const colon = line.indexOf(":");
    if (colon <= 0) throw new BadReplyError("malformed reply header");
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "transfer-encoding") {
      chunked = value.toLowerCase().split(",").at(-1)?.trim() === "chunked";
      if (!chunked) throw new BadReplyError(`unsupported transfer encoding ${value}`);
    } else if (name === "content-length") {
      if (!isNumeral(value, 10, 15) || (length !== undefined && length !== Number(value))) throw new BadReplyError("bad Content-Length");
      length = Number(value);
    }
  }
  // Transfer-Encoding wins over Content-Length (RFC 9112, 6.3).
  if (chunked) return { kind: "chunked" };
  if (length !== undefined) return { kind: "length", length };
  return { kind: "close" };
}

/**
 * Whether `text` is 1 to `maxDigits` digits of `radix` (10 or 16). Not a
 * regular expression: compiling one costs more than this whole check.
 */
function isNumeral(text: string, radix: 10 | 16, maxDigits: number): boolean {
  if (text.length === 0 || text.length > maxDigits) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const hexLetter = radix === 16 && ((c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));
    if (!(c >= 0x30 && c <= 0x39) && !hexLetter) return false;
  }
  return true;
}

/** The body of a complete chunked encoding in `data`, or `undefined` while more is to come. */
function decodeChunked(data: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf("\r\n", at);
    if (lineEnd < 0) return undefined;
    // The size, in hex, may be followed by ";extensions".
    const sizeText = data.toString("latin1", at, lineEnd).split(";")[0]?.trim() ?? "";
    if (!isNumeral(sizeText, 16, 8)) throw new BadReplyError("bad chunk size");
    const size = Number.parseInt(sizeText, 16);
    if (size === 0) {
      // Optional trailer fields, then an empty line.
      let trailerAt = lineEnd + 2;
      for (;;) {
        const trailerEnd = data.indexOf("\r\n", trailerAt);
        if (trailerEnd < 0) return undefined;
        if (trailerEnd === trailerAt) return Buffer.concat(parts);
        trailerAt = trailerEnd + 2;
      }
    }
    const chunkEnd = lineEnd + 2 + size;
    if (data.length < chunkEnd + 2) return undefined;
    if (data[chunkEnd] !== 0x0d || data[chunkEnd + 1] !== 0x0a) throw new BadReplyError("bad chunk framing");
    parts.push(data.subarray(lineEnd + 2, chunkEnd));
    at = chunkEnd + 2;
  }
}
