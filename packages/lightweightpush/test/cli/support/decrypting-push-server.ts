/**
 * A push endpoint on 127.0.0.1 for CLI tests: it checks each request as
 * the AlertR web bridge would (form field `data`, JSON frame, version
 * 0.1), opens the envelope with the test account's shared secret, records
 * what it found and answers the scripted result codes.
 */
import { nodeCryptoBackend } from "../../../src/client/node-crypto.js";
import { openMessage } from "../../../src/protocol/message.js";
import type { PushPayload } from "../../../src/protocol/payload.js";
import { startLocalPushServer } from "../../client/support/local-push-server.js";

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
 * the end every request gets 0. A request the bridge would not take is
 * answered 400 and not recorded.
 */
export async function startPushServer(
  codes: readonly number[] = [],
  tls?: { readonly key: string; readonly cert: string },
): Promise<DecryptingPushServer> {
  const received: ReceivedPush[] = [];
  const server = await startLocalPushServer({
    ...(tls === undefined ? {} : { tls }),
    replies: async (_index, request) => {
      if (request.method !== "POST" || request.path !== "/push/send.php") return [400, "wrong method or path"];
      if (request.contentType !== "application/x-www-form-urlencoded") return [400, "not form-encoded"];
      if (request.frame === null) return [400, "no data field"];
      // The frame must carry version as the number 0.1 written with a fraction.
      if (!request.frame.includes('"version": 0.1,')) return [400, "version not written as 0.1"];
      const { username, password, channel, data, version } = JSON.parse(request.frame) as Record<string, unknown>;
      if (typeof username !== "string" || typeof password !== "string" || typeof channel !== "string" || typeof data !== "string") {
        return [400, "frame fields missing"];
      }
      let payload: PushPayload | undefined;
      try {
        payload = await openMessage(data, channel, { username, sharedSecret: TEST_SECRET, crypto: nodeCryptoBackend });
      } catch {
        payload = undefined;
      }
      const code = codes[received.length] ?? 0;
      received.push({ username, password, channel, version, data, payload });
      return [200, JSON.stringify({ Code: code })];
    },
  });
  return { endpoint: server.endpoint, received, close: server.close };
}
