/**
 * Reading `application/x-www-form-urlencoded` bodies strictly: invalid
 * percent-escapes or bytes that are not UTF-8 are reported, never replaced
 * with U+FFFD as `URLSearchParams` would do.
 *
 * @module
 */

import { isUtf8 } from "node:buffer";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Thrown for a body that is not valid form encoding or not UTF-8. */
export class FormEncodingError extends Error {
  override readonly name = "FormEncodingError";
}

const AMPERSAND = 0x26;
const EQUALS = 0x3d;
const PERCENT = 0x25;
const PLUS = 0x2b;

/** Value of each hex digit's byte, -1 for every other byte. */
const HEX_VALUE = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX_VALUE[0x30 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX_VALUE[0x41 + i] = 10 + i;
  HEX_VALUE[0x61 + i] = 10 + i;
}

/**
 * The first value of field `name` in a form body, or `undefined` when the
 * field is absent. The whole body must be valid form encoding of UTF-8.
 *
 * Works on the bytes: every send goes through here, and decoding escapes
 * into a byte array and then checking UTF-8 once is about twice as fast as
 * `decodeURIComponent` on the text, with the same strictness (a component
 * is valid exactly when its unescaped bytes are UTF-8).
 *
 * @example
 * readFormField(Buffer.from("data=%7B%7D"), "data") // "{}"
 */
export function readFormField(body: Buffer, name: string): string | undefined {
  // Raw (unescaped) bytes must be UTF-8 too.
  if (!isUtf8(body)) throw new FormEncodingError("form data is not valid UTF-8");
  let found: string | undefined;
  let start = 0;
  while (start <= body.length) {
    let end = body.indexOf(AMPERSAND, start);
    if (end === -1) end = body.length;
    if (end > start) {
      let eq = body.indexOf(EQUALS, start);
      if (eq === -1 || eq > end) eq = end;
      const key = decodeComponent(body, start, eq);
      // Every value is decoded, wanted or not, so that a malformed body is refused as a whole.
      const value = decodeComponent(body, Math.min(eq + 1, end), end);
      if (found === undefined && key === name) found = value;
    }
    start = end + 1;
  }
  return found;
}

/** Reused output of {@link decodeComponent}: a component's bytes are turned into a string before the next one. */
let scratch = Buffer.allocUnsafe(4096);

function decodeComponent(body: Buffer, from: number, to: number): string {
  if (scratch.length < to - from) scratch = Buffer.allocUnsafe(to - from);
  const out = scratch;
  let n = 0;
  let bits = 0;
  for (let i = from; i < to; i++) {
    let c = body[i] as number;
    if (c === PLUS) c = 0x20;
    else if (c === PERCENT) {
      const hi = i + 2 < to ? (HEX_VALUE[body[i + 1] as number] as number) : -1;
      const lo = i + 2 < to ? (HEX_VALUE[body[i + 2] as number] as number) : -1;
      // One test for both digits and for an escape cut short: any -1 makes the OR negative.
      if ((hi | lo) < 0) throw new FormEncodingError("invalid percent-escape or invalid UTF-8 in form data");
      c = (hi << 4) | lo;
      i += 2;
    }
    bits |= c;
    out[n++] = c;
  }
  // ASCII (the usual frame: JSON with base64) needs no UTF-8 decoding.
  if (bits < 0x80) return out.toString("latin1", 0, n);
  try {
    return utf8.decode(out.subarray(0, n));
  } catch {
    throw new FormEncodingError("invalid percent-escape or invalid UTF-8 in form data");
  }
}
