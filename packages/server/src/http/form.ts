/**
 * Reading `application/x-www-form-urlencoded` bodies strictly: invalid
 * percent-escapes or bytes that are not UTF-8 are reported, never replaced
 * with U+FFFD as `URLSearchParams` would do.
 *
 * @module
 */

const utf8 = new TextDecoder("utf-8", { fatal: true });
const AMP = 0x26;
const EQ = 0x3d;
const PLUS = 0x2b;
const PERCENT = 0x25;

/** Thrown for a body that is not valid form encoding or not UTF-8. */
export class FormEncodingError extends Error {
  override readonly name = "FormEncodingError";
}

/**
 * The first value of field `name` in a form body, or `undefined` when the
 * field is absent. The whole body must be valid form encoding of UTF-8.
 *
 * @example
 * readFormField(Buffer.from("data=%7B%7D"), "data") // "{}"
 */
export function readFormField(body: Uint8Array, name: string): string | undefined {
  let found: string | undefined;
  let start = 0;
  while (start <= body.length) {
    let end = body.indexOf(AMP, start);
    if (end === -1) end = body.length;
    if (end > start) {
      let eq = body.indexOf(EQ, start);
      if (eq === -1 || eq > end) eq = end;
      const key = decodeComponent(body.subarray(start, eq));
      const value = decodeComponent(body.subarray(Math.min(eq + 1, end), end));
      if (found === undefined && key === name) found = value;
    }
    start = end + 1;
  }
  return found;
}

function decodeComponent(raw: Uint8Array): string {
  const out = Buffer.allocUnsafe(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as number;
    if (c === PLUS) out[n++] = 0x20;
    else if (c === PERCENT) {
      const hi = hexValue(raw[i + 1]);
      const lo = hexValue(raw[i + 2]);
      if (hi < 0 || lo < 0) throw new FormEncodingError("invalid percent-escape in form data");
      out[n++] = (hi << 4) | lo;
      i += 2;
    } else out[n++] = c;
  }
  try {
    return utf8.decode(out.subarray(0, n));
  } catch {
    throw new FormEncodingError("form data is not valid UTF-8");
  }
}

function hexValue(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}
