/**
 * The request frame (`{"username": ..., "version": 0.1, "data": ...}`) and
 * the reading of the server's reply.
 *
 * @module
 */
import { ResultCode } from "./codes.js";
import { pythonJsonString } from "./python-json.js";

/** The protocol version this client speaks, written exactly as the original does. */
export const CLIENT_VERSION = "0.1";

/** The reference server's version; it accepts clients with the same first decimal. */
export const SERVER_VERSION = 0.101;

/** Fields of a send frame. */
export interface SendFrame {
  readonly username: string;
  readonly password: string;
  /** The prefixed channel. */
  readonly channel: string;
  /** The sealed envelope. */
  readonly data: string;
}

/** Everything up to the data value, whose string literal follows. */
function frameHead(username: string, password: string, channel: string): string {
  return (
    `{"username": ${pythonJsonString(username)}, "password": ${pythonJsonString(password)}, ` +
    `"channel": ${pythonJsonString(channel)}, "version": ${CLIENT_VERSION}, "data": `
  );
}

/** Serialises a frame byte for byte as the original client does. */
export function serializeFrame(frame: SendFrame): string {
  return `${frameHead(frame.username, frame.password, frame.channel)}${pythonJsonString(frame.data)}}`;
}

/**
 * A serialiser of frames for one account and channel, for `data` sealed by
 * this library (`sealMessage`, `sealV1`, `sealV2`): base64 or `v2.` plus
 * base64url, which never needs escaping, so the scan for characters to
 * escape (a tenth of the cost of a v1 send) is skipped. Byte for byte the
 * same as {@link serializeFrame} for such data.
 */
export function sealedFrameSerializer(username: string, password: string, channel: string): (sealedData: string) => string {
  const head = frameHead(username, password, channel);
  return (sealedData) => `${head}"${sealedData}"}`;
}

/**
 * Whether a client version is accepted by a server version:
 * `floor(v*10) == floor(server*10)`.
 */
export function isCompatibleVersion(clientVersion: number, serverVersion = SERVER_VERSION): boolean {
  return Math.floor(clientVersion * 10) === Math.floor(serverVersion * 10);
}

/**
 * The result code carried by a reply: `Code` (the service) or `code` (the
 * web bridge). A non-200 status or an unreadable body counts as
 * `WEB_BRIDGE_ERROR`.
 */
export function parseReply(status: number, body: string): number {
  if (status !== 200) return ResultCode.WEB_BRIDGE_ERROR;
  try {
    const reply: unknown = JSON.parse(body);
    if (typeof reply === "object" && reply !== null) {
      const code = (reply as { Code?: unknown; code?: unknown }).Code ?? (reply as { code?: unknown }).code;
      if (Number.isSafeInteger(code)) return code as number;
    }
  } catch {
    // fall through: an unreadable reply is a bridge error
  }
  return ResultCode.WEB_BRIDGE_ERROR;
}
