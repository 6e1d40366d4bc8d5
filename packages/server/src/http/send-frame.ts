/**
 * Checking a send frame the way the AlertR server does: field presence and
 * Python types, the protocol version, and this server's limits on the wire
 * channel and the payload.
 *
 * @module
 */
import {
  isCompatibleVersion,
  isNotificationChannel,
  isValidChannel,
  NOTIFICATION_CHANNEL,
  ResultCode,
  SERVER_VERSION,
} from "lightweightpush/protocol";
import { PyJsonSyntaxError, PyNumber, parsePyJson } from "./python-json.js";

/** A frame that passed the format and version checks. */
export interface SendFrameFields {
  readonly username: string;
  readonly password: string;
  /** The wire channel as sent. */
  readonly channel: string;
  /** The sealed payload as sent. */
  readonly data: string;
}

/** A refused frame: the result code and a reason safe to show (never containing secrets). */
export interface FrameRejection {
  readonly code: number;
  readonly reason: string;
  /** Present for a version mismatch: the server's version. */
  readonly version?: number;
}

/**
 * Reads a frame: code 3 for text that is not a JSON object or lacks one of
 * `username password channel data` as a string or `version` as a float;
 * code 8 for an incompatible version.
 *
 * @example
 * readSendFrame('{"username": "a", "password": "b", "channel": "c", "version": 0.1, "data": "d"}')
 */
export function readSendFrame(text: string): SendFrameFields | FrameRejection {
  let parsed: unknown;
  try {
    parsed = parsePyJson(text);
  } catch (error) {
    if (error instanceof PyJsonSyntaxError) return { code: ResultCode.ILLEGAL_MSG_ERROR, reason: "frame is not valid JSON" };
    throw error;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed) || parsed instanceof PyNumber) {
    return { code: ResultCode.ILLEGAL_MSG_ERROR, reason: "frame is not a JSON object" };
  }
  const fields = parsed as Record<string, unknown>;
  // Read each field once, by name: this runs for every send.
  const { username, password, channel, data, version } = fields;
  if (typeof username !== "string") return notAString("username");
  if (typeof password !== "string") return notAString("password");
  if (typeof channel !== "string") return notAString("channel");
  if (typeof data !== "string") return notAString("data");
  if (!(version instanceof PyNumber) || version.kind !== "float") {
    return { code: ResultCode.ILLEGAL_MSG_ERROR, reason: 'frame field "version" is missing or not a float' };
  }
  if (!isCompatibleVersion(version.value, SERVER_VERSION)) {
    return { code: ResultCode.VERSION_MISSMATCH, reason: "protocol version not supported", version: SERVER_VERSION };
  }
  return { username, password, channel, data };
}

function notAString(name: string): FrameRejection {
  return { code: ResultCode.ILLEGAL_MSG_ERROR, reason: `frame field "${name}" is missing or not a string` };
}

/** Whether a value is a refusal rather than a frame. */
export function isRejection(value: SendFrameFields | FrameRejection): value is FrameRejection {
  return "code" in value;
}

const PREFIX_RE = /^[0-9a-f]{8}_/;

/** {@link isNotificationChannel} without lower-casing every other channel first (it runs twice per send). */
export function isNotificationChannelFast(channel: string): boolean {
  return channel.length === NOTIFICATION_CHANNEL.length && isNotificationChannel(channel);
}

/**
 * The channel under which a message is stored and delivered, or a refusal.
 * A wire channel is an account prefix (8 lowercase hex digits and `_`)
 * followed by an allowed channel name, or the notification channel in any
 * case (stored under its canonical spelling).
 */
export function checkWireChannel(channel: string, maxLength: number): { channel: string } | FrameRejection {
  if (isNotificationChannelFast(channel)) return { channel: NOTIFICATION_CHANNEL };
  if (channel.length > maxLength) {
    return { code: ResultCode.ILLEGAL_MSG_ERROR, reason: `channel is longer than ${maxLength} characters` };
  }
  if (!PREFIX_RE.test(channel) || !isValidChannel(channel.slice(9))) {
    return {
      code: ResultCode.ILLEGAL_MSG_ERROR,
      reason: "channel must be an 8-hex-digit account prefix, '_' and a name of [a-zA-Z0-9-_.~%]",
    };
  }
  return { channel };
}

/**
 * Refuses a payload that is empty, not printable ASCII (every envelope is
 * base64 text), or longer than `maxLength` (code 4, as the original reports
 * a message too large for delivery).
 */
export function checkPayload(data: string, maxLength: number): FrameRejection | undefined {
  if (data.length > maxLength) {
    return { code: ResultCode.GOOGLE_MSG_TOO_LARGE, reason: `payload is longer than ${maxLength} characters` };
  }
  if (!/^[\x21-\x7e]+$/.test(data)) {
    return { code: ResultCode.ILLEGAL_MSG_ERROR, reason: "payload must be non-empty printable ASCII (a sealed envelope)" };
  }
  return undefined;
}
