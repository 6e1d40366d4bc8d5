/**
 * A real HTTP(S) server on 127.0.0.1 that stands in for the push service:
 * it records every request and answers from a script, so tests see exactly
 * what went over the wire.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";

/**
 * One scripted answer: `[status, body]`, `{ exception }` (the connection is
 * reset once the request has arrived, as a failed connection looks to the
 * client) or `"hang"` (the request is read and never answered).
 */
export type ScriptedReply = readonly [status: number, body: string] | { readonly exception: string } | "hang";

/** A request as the server saw it. */
export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly contentType: string | undefined;
  readonly body: string;
  /** The `data` form field (the frame), when the body is form-encoded. */
  readonly frame: string | null;
}

export interface LocalPushServer {
  /** The send endpoint on this server. */
  readonly endpoint: string;
  readonly port: number;
  readonly requests: ReceivedRequest[];
  close(): Promise<void>;
}

export interface LocalPushServerOptions {
  /** Replies in order; a function gets the 0-based request index and the request. Past the end of an array: 500. */
  readonly replies: readonly ScriptedReply[] | ((index: number, request: ReceivedRequest) => ScriptedReply | Promise<ScriptedReply>);
  /** Serve HTTPS with this key and certificate (PEM). */
  readonly tls?: { readonly key: string; readonly cert: string };
  /** Called with each request before it is answered. */
  readonly onRequest?: (request: ReceivedRequest) => void;
}

export async function startLocalPushServer(options: LocalPushServerOptions): Promise<LocalPushServer> {
  const requests: ReceivedRequest[] = [];
  const sockets = new Set<Socket>();
  const replyFor = (index: number, request: ReceivedRequest): ScriptedReply | Promise<ScriptedReply> => {
    if (typeof options.replies === "function") return options.replies(index, request);
    return options.replies[index] ?? [500, "unexpected extra request"];
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", async () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const isForm = req.headers["content-type"] === "application/x-www-form-urlencoded";
      const request: ReceivedRequest = {
        method: req.method ?? "",
        path: req.url ?? "",
        contentType: req.headers["content-type"],
        body,
        frame: isForm ? new URLSearchParams(body).get("data") : null,
      };
      const index = requests.length;
      requests.push(request);
      options.onRequest?.(request);
      const reply = await replyFor(index, request);
      if (reply === "hang") return;
      if ("exception" in reply) {
        req.socket.resetAndDestroy();
        return;
      }
      res.writeHead(reply[0], { "content-type": "application/json" }).end(reply[1]);
    });
  };

  const server: Server = options.tls
    ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, handle)
    : createHttpServer(handle);
  // Track the TCP sockets (under TLS too) so that close() also ends connections left hanging.
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `${options.tls ? "https" : "http"}://127.0.0.1:${port}/push/send.php`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
