/**
 * A push endpoint on 127.0.0.1 for CLI tests: it checks each request as
 * the AlertR web bridge would (form field `data`, JSON frame, version
 * 0.1), opens the envelope with the test account's shared secret, records
 * what it found and answers the scripted result codes.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { nodeCryptoBackend } from "../../../src/client/node-crypto.js";
import { openMessage } from "../../../src/protocol/message.js";
import type { PushPayload } from "../../../src/protocol/payload.js";

/** Test account; the CLI tests never use other credentials except to test that they are refused. */
export const TEST_USERNAME = "cli-test@example.org";
export const TEST_PASSWORD = "pw-Very-Secret-3141";
export const TEST_SECRET = "ss-Shared-Secret-2718";
/** `TEST_USERNAME`'s channel prefix (first 8 hex digits of SHA-256 of the username). */
export const TEST_PREFIX = "52d4f9bc";

/** One request as the server understood it. */
export interface ReceivedPush {
  readonly username: string;
  readonly password: string;
  /** The prefixed channel. */
  readonly channel: string;
  readonly version: unknown;
  /** The sealed `data` field. */
  readonly data: string;
  /** The decrypted payload; `undefined` if it did not open with {@link TEST_SECRET}. */
  readonly payload: PushPayload | undefined;
}

export interface DecryptingPushServer {
  readonly endpoint: string;
  readonly received: ReceivedPush[];
  close(): Promise<void>;
}

/**
 * Starts the server. `codes` are answered in order (`{"Code": n}`); past
 * the end every request gets 0.
 */
export async function startPushServer(
  codes: readonly number[] = [],
  tls?: { readonly key: string; readonly cert: string },
): Promise<DecryptingPushServer> {
  const received: ReceivedPush[] = [];
  const sockets = new Set<Socket>();
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", async () => {
      const reject = (why: string) => res.writeHead(400, { "content-type": "text/plain" }).end(why);
      if (req.method !== "POST" || req.url !== "/push/send.php") return reject("wrong method or path");
      if (req.headers["content-type"] !== "application/x-www-form-urlencoded") return reject("not form-encoded");
      const frameText = new URLSearchParams(Buffer.concat(chunks).toString("utf8")).get("data");
      if (frameText === null) return reject("no data field");
      // The frame must carry version as the number 0.1 written with a fraction.
      if (!frameText.includes('"version": 0.1,')) return reject("version not written as 0.1");
      const frame = JSON.parse(frameText) as Record<string, unknown>;
      const { username, password, channel, data, version } = frame;
      if (typeof username !== "string" || typeof password !== "string" || typeof channel !== "string" || typeof data !== "string") {
        return reject("frame fields missing");
      }
      let payload: PushPayload | undefined;
      try {
        payload = await openMessage(data, channel, { username, sharedSecret: TEST_SECRET, crypto: nodeCryptoBackend });
      } catch {
        payload = undefined;
      }
      const code = codes[received.length] ?? 0;
      received.push({ username, password, channel, version, data, payload });
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ Code: code }));
    });
  };
  const server = tls ? createHttpsServer({ key: tls.key, cert: tls.cert }, handle) : createServer(handle);
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `${tls ? "https" : "http"}://127.0.0.1:${port}/push/send.php`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
