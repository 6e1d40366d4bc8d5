import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer as createHttpServer, type IncomingMessage } from "node:http";
import { type AddressInfo, createServer as createNetServer, type Server, type Socket } from "node:net";
import { after, describe, test } from "node:test";
import { BadReplyError, postOnce, ReplyReader } from "../../src/client/one-shot-http.js";
import { buildPushRequest, nodeTransport, TransportError } from "../../src/client/transport.js";
import { ResultCode } from "../../src/protocol/codes.js";

const FRAME = '{"username": "me@example.org", "password": "pw", "channel": "c", "version": 0.1, "data": "AAEC+/=="}';

async function listen(server: Server): Promise<number> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  after(() => server.close());
  return (server.address() as AddressInfo).port;
}

/** A raw TCP server: `onRequest` gets the socket once a whole request (head and body) has arrived. */
async function rawServer(onRequest: (socket: Socket, request: string) => void): Promise<{ port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createNetServer((socket) => {
    sockets.push(socket);
    let data = "";
    socket.on("error", () => {});
    socket.on("data", (chunk) => {
      data += chunk.toString("latin1");
      const headEnd = data.indexOf("\r\n\r\n");
      const length = /content-length: (\d+)/i.exec(data)?.[1];
      if (headEnd >= 0 && length !== undefined && data.length >= headEnd + 4 + Number(length)) onRequest(socket, data);
    });
  });
  after(() => {
    for (const socket of sockets) socket.destroy();
  });
  return { port: await listen(server), sockets };
}

function post(port: number, options: { timeoutMs?: number; signal?: AbortSignal; path?: string } = {}) {
  const url = new URL(`http://127.0.0.1:${port}${options.path ?? "/push/send.php"}`);
  return postOnce(url, buildPushRequest(url.href, FRAME), { timeoutMs: options.timeoutMs ?? 10_000, signal: options.signal });
}

async function rejection(promise: Promise<unknown>): Promise<TransportError> {
  const error = await promise.then(
    () => assert.fail("expected a rejection"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof TransportError, `a TransportError, got ${String(error)}`);
  return error;
}

describe("one-shot HTTP client", () => {
  test("sends the form POST as node:http would, and reads a Content-Length reply", async () => {
    let seen: { method: string | undefined; url: string | undefined; headers: IncomingMessage["headers"]; body: string } | undefined;
    const server = createHttpServer((req, res) => {
      let body = "";
      req.setEncoding("latin1").on("data", (chunk: string) => {
        body += chunk;
      });
      req.on("end", () => {
        seen = { method: req.method, url: req.url, headers: req.headers, body };
        res.writeHead(200, { "content-type": "application/json" }).end('{"Code": 0}');
      });
    });
    const port = await listen(server);
    const reply = await post(port, { path: "/push/send.php?x=1" });
    assert.deepEqual(reply, { status: 200, body: '{"Code": 0}' });
    assert.equal(seen?.method, "POST");
    assert.equal(seen?.url, "/push/send.php?x=1");
    assert.equal(seen?.headers.host, `127.0.0.1:${port}`);
    assert.equal(seen?.headers["content-type"], "application/x-www-form-urlencoded");
    assert.equal(seen?.headers.connection, "close");
    assert.equal(seen?.body, buildPushRequest("http://x/", FRAME).body);
    assert.equal(seen?.headers["content-length"], String(seen?.body.length));
    assert.equal(new URLSearchParams(seen?.body).get("data"), FRAME);
  });

  test("reads a chunked reply, and a non-ASCII body as UTF-8", async () => {
    const server = createHttpServer((req, res) => {
      req.resume();
      req.on("end", () => {
        res.writeHead(429, { "content-type": "text/plain; charset=utf-8" });
        res.write("Too many ");
        res.write("requests – später");
        res.end();
      });
    });
    const reply = await post(await listen(server));
    assert.deepEqual(reply, { status: 429, body: "Too many requests – später" });
  });

  test("takes a complete reply at once even when the server keeps the connection open", async () => {
    const { port } = await rawServer((socket) => {
      // Connection: close ignored; the socket stays open.
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\nConnection: keep-alive\r\n\r\n{"Code": 0}');
    });
    const started = Date.now();
    const reply = await post(port, { timeoutMs: 5_000 });
    assert.deepEqual(reply, { status: 200, body: '{"Code": 0}' });
    assert.ok(Date.now() - started < 4_000, "resolved on the complete reply, not at the timeout");
  });

  test("skips interim 1xx replies and reads a reply that arrives a byte at a time", async () => {
    const reply =
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n" +
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\n{"Co\r\n7\r\nde": 0}\r\n0\r\nX-Trailer: 1\r\n\r\n';
    const { port } = await rawServer((socket) => {
      let i = 0;
      const next = (): void => {
        if (i < reply.length) socket.write(reply[i++] as string, next);
      };
      next();
    });
    assert.deepEqual(await post(port), { status: 200, body: '{"Code": 0}' });
  });

  test("reads a body delimited by the end of the connection", async () => {
    const { port } = await rawServer((socket) => socket.end('HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{"Code": 7}'));
    assert.deepEqual(await post(port), { status: 200, body: '{"Code": 7}' });
  });

  test("a connection that ends within the reply is a connection error", async () => {
    const { port } = await rawServer((socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n{"Code"'));
    const error = await rejection(post(port));
    assert.equal(error.code, ResultCode.CLIENT_CONNECTION_ERROR);
    assert.ok(error.cause instanceof BadReplyError);
  });

  test("a reply that is not HTTP, or is too large, is a connection error", async () => {
    const garbage = await rawServer((socket) => socket.end("SSH-2.0-OpenSSH_9.2\r\n\r\n"));
    const notHttp = await rejection(post(garbage.port));
    assert.equal(notHttp.code, ResultCode.CLIENT_CONNECTION_ERROR);
    assert.match(String(notHttp.cause), /not an HTTP/);

    const huge = await rawServer((socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${4 << 20}\r\n\r\n`);
      socket.write(Buffer.alloc(2 << 20, 0x61));
    });
    const tooLarge = await rejection(post(huge.port));
    assert.equal(tooLarge.code, ResultCode.CLIENT_CONNECTION_ERROR);
    assert.match(String(tooLarge.cause), /too large/);
  });

  test("a refused connection is a connection error", async () => {
    const server = createNetServer();
    const port = await listen(server);
    server.close();
    await once(server, "close");
    assert.equal((await rejection(post(port))).code, ResultCode.CLIENT_CONNECTION_ERROR);
  });

  test("no reply within the timeout is a timeout error (the request side stays open meanwhile: servers may take a half-close for a client gone), then the connection is closed", async () => {
    const { port, sockets } = await rawServer(() => {});
    const started = Date.now();
    const error = await rejection(post(port, { timeoutMs: 300 }));
    assert.equal(error.code, ResultCode.CLIENT_TIMEOUT_ERROR);
    assert.ok(Date.now() - started >= 290, "not before the timeout");
    const socket = sockets[0];
    assert.ok(socket);
    if (!socket.closed) await once(socket, "close");
  });

  test("aborting closes the connection; an aborted signal sends nothing", async () => {
    let requests = 0;
    const { port, sockets } = await rawServer(() => {
      requests++;
    });
    const controller = new AbortController();
    const pending = post(port, { signal: controller.signal });
    while (requests === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort(new Error("stop"));
    assert.equal((await rejection(pending)).code, ResultCode.CLIENT_CONNECTION_ERROR);
    const socket = sockets[0];
    assert.ok(socket);
    if (!socket.closed) await once(socket, "close");

    const error = await rejection(post(port, { signal: AbortSignal.abort() }));
    assert.equal(error.code, ResultCode.CLIENT_CONNECTION_ERROR);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(sockets.length, 1, "no connection for an already aborted signal");
  });

  test("an abort right after the request went out, before the client waits for the reply, still aborts", async () => {
    const { port, sockets } = await rawServer(() => {});
    const controller = new AbortController();
    const pending = post(port, { signal: controller.signal });
    const reason = new Error("stop");
    controller.abort(reason);
    const started = Date.now();
    const error = await rejection(pending);
    assert.equal(error.code, ResultCode.CLIENT_CONNECTION_ERROR);
    assert.equal(error.cause, reason);
    assert.ok(Date.now() - started < 5_000, "rejected on the abort, not at the timeout");
    for (const socket of sockets) if (!socket.closed) await once(socket, "close");
  });

  test("a body that is not ASCII goes out as UTF-8, its Content-Length counting bytes", async () => {
    let received: Buffer | undefined;
    let length: string | undefined;
    const server = createHttpServer((req, res) => {
      length = req.headers["content-length"];
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        received = Buffer.concat(chunks);
        res.end('{"Code": 0}');
      });
    });
    const port = await listen(server);
    const url = new URL(`http://127.0.0.1:${port}/push/send.php`);
    const body = "data=Gr\u00fc\u00dfe \u{1f514}";
    await postOnce(url, { url: url.href, method: "POST", headers: {}, body }, { timeoutMs: 10_000 });
    assert.equal(received?.toString("utf8"), body);
    assert.equal(length, String(Buffer.byteLength(body)));
    assert.notEqual(Buffer.byteLength(body), body.length);
  });

  test("credentials in the URL go out as Basic authorization", async () => {
    let authorization: string | undefined;
    const server = createHttpServer((req, res) => {
      authorization = req.headers.authorization;
      req.resume();
      req.on("end", () => res.end('{"Code": 0}'));
    });
    const port = await listen(server);
    const url = new URL(`http://alice:p%40ss%20w@127.0.0.1:${port}/push/send.php`);
    await postOnce(url, buildPushRequest(url.href, FRAME), { timeoutMs: 10_000 });
    assert.equal(authorization, `Basic ${Buffer.from("alice:p@ss w").toString("base64")}`);
  });

  test("nodeTransport({ keepAlive: false }) sends plain HTTP through it, one connection per request", async () => {
    const connections: Socket[] = [];
    const server = createHttpServer((req, res) => {
      req.resume();
      req.on("end", () => res.end('{"Code": 0}'));
    });
    server.on("connection", (socket) => connections.push(socket));
    const port = await listen(server);
    const transport = nodeTransport({ keepAlive: false });
    const request = buildPushRequest(`http://127.0.0.1:${port}/push/send.php`, FRAME);
    assert.equal((await transport(request, { timeoutMs: 10_000 })).body, '{"Code": 0}');
    assert.equal((await transport(request, { timeoutMs: 10_000 })).body, '{"Code": 0}');
    assert.equal(connections.length, 2);
  });
});

describe("reply reader", () => {
  const read = (...chunks: string[]) => {
    const reader = new ReplyReader();
    for (const chunk of chunks) {
      const reply = reader.push(Buffer.from(chunk, "latin1"));
      if (reply) return reply;
    }
    return reader.end();
  };

  test("rejects malformed framing", () => {
    assert.throws(() => read("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n"), /Content-Length/);
    assert.throws(() => read("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc"), /Content-Length/);
    assert.throws(() => read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"), /chunk size/);
    assert.throws(() => read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n"), /chunk framing/);
    assert.throws(() => read("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n"), /transfer encoding/);
    assert.throws(() => read("HTTP/1.1 2000 OK\r\n\r\n"), /not an HTTP/);
    assert.throws(() => read("HTTP/1.1 200 OK\r\nno colon\r\n\r\n"), /header/);
  });

  test("Transfer-Encoding wins over Content-Length; 204 has no body", () => {
    assert.deepEqual(read("HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"), {
      status: 200,
      body: "ok",
    });
    assert.deepEqual(read("HTTP/1.1 204 No Content\r\n\r\n"), { status: 204, body: "" });
  });
});
