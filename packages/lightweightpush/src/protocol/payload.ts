/**
 * The plaintext payload inside an envelope: building it, serialising it as
 * the original does, and reading it back on a receiver.
 *
 * @module
 */
import { InvalidInputError } from "./errors.js";
import { pythonJsonString } from "./python-json.js";

/** Message state: 0 normal, 1 triggered. */
export type MessageState = 0 | 1;

/** The decrypted content of a message, as receivers see it. */
export interface PushPayload {
  /** Subject. */
  readonly sbj: string;
  /** Message text. */
  readonly msg: string;
  /** Time triggered, unix seconds. */
  readonly tt: number;
  /** Whether a state was given. */
  readonly is_sa: boolean;
  /** State, present when `is_sa`. */
  readonly st?: MessageState;
  /** Time sent, unix seconds, set at each attempt. */
  readonly ts: number;
  /** Envelope v2 only: 16 random bytes as hex, for replay detection. */
  readonly id?: string;
}

/** Throws unless `state` is undefined, 0 or 1. */
export function assertValidState(state: unknown): asserts state is MessageState | undefined {
  if (state !== undefined && state !== 0 && state !== 1) {
    throw new InvalidInputError("State has to be either 0 or 1 when given.");
  }
}

/** Throws unless `time` is a non-negative whole number of seconds. */
export function assertValidUnixSeconds(time: unknown, what: string): asserts time is number {
  if (typeof time !== "number" || !Number.isSafeInteger(time) || time < 0) {
    throw new InvalidInputError(`${what} has to be a non-negative whole number of unix seconds.`);
  }
}

/** `sbj` and `msg` already encoded as JSON string literals, quotes included. */
export interface EncodedPayloadText {
  readonly subjectJson: string;
  readonly messageJson: string;
}

function integer(value: number): string {
  if (!Number.isSafeInteger(value)) throw new TypeError("only safe integers are serialised");
  return String(value);
}

/**
 * Serialises a payload with the key order and spacing of the original
 * (Python's `json.dumps`). `encoded` may carry the encodings of `sbj` and
 * `msg` when the caller already has them (see `truncateText`); they must
 * encode exactly those strings.
 */
export function serializePayload(payload: PushPayload, encoded?: EncodedPayloadText): string {
  const sbj = encoded?.subjectJson ?? pythonJsonString(payload.sbj);
  const msg = encoded?.messageJson ?? pythonJsonString(payload.msg);
  const state = payload.is_sa && payload.st !== undefined ? `, "st": ${integer(payload.st)}` : "";
  const id = payload.id !== undefined ? `, "id": ${pythonJsonString(payload.id)}` : "";
  return `{"sbj": ${sbj}, "msg": ${msg}, "tt": ${integer(payload.tt)}, "is_sa": ${payload.is_sa ? "true" : "false"}${state}, "ts": ${integer(payload.ts)}${id}}`;
}

/**
 * Reads a decrypted payload (JSON, trailing spaces allowed) and checks its
 * fields as the AlertR app does. Returns `undefined` for anything that is
 * not a well-formed payload.
 */
export function parsePayload(text: string): PushPayload | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.sbj !== "string" || typeof v.msg !== "string") return undefined;
  if (!Number.isSafeInteger(v.tt) || !Number.isSafeInteger(v.ts) || typeof v.is_sa !== "boolean") return undefined;
  if (v.is_sa && v.st !== 0 && v.st !== 1) return undefined;
  if (v.id !== undefined && (typeof v.id !== "string" || !/^[0-9a-f]{32}$/.test(v.id))) return undefined;
  const payload: PushPayload = {
    sbj: v.sbj,
    msg: v.msg,
    tt: v.tt as number,
    is_sa: v.is_sa,
    ...(v.is_sa ? { st: v.st as MessageState } : {}),
    ts: v.ts as number,
    ...(typeof v.id === "string" ? { id: v.id } : {}),
  };
  return payload;
}
