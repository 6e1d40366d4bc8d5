/**
 * JSON text exactly as Python's `json.dumps` writes it with its defaults
 * (`ensure_ascii=True`, separators `", "` and `": "`), which is what the
 * AlertR service and app expect byte for byte.
 *
 * @module
 */

const SHORT_ESCAPES: Record<number, string> = {
  34: '\\"',
  92: "\\\\",
  10: "\\n",
  13: "\\r",
  9: "\\t",
  8: "\\b",
  12: "\\f",
};

// Printable ASCII other than `"` and `\` passes through unchanged. The
// anchored form is checked first: V8 runs it as one tight loop, about twice
// as fast as an unanchored search for a character to escape. Either is
// several times faster than a code-unit loop.
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const NEEDS_ESCAPE = /[^\x20\x21\x23-\x5b\x5d-\x7e]/;
const PRINTABLE = /^[\x20-\x7e]*$/;
/** Code units of the {@link COMMON_ESCAPES}. */
const COMMON_UNITS = new Set([0x5c, 0x22, 0x0a, 0x0d, 0x09]);

/** The escapes most text needs (backslash first, so that no escape is escaped again). */
const COMMON_ESCAPES: readonly (readonly [string, string])[] = [
  ["\\", "\\\\"],
  ['"', '\\"'],
  ["\n", "\\n"],
  ["\r", "\\r"],
  ["\t", "\\t"],
];

const BACKSLASH = 0x5c;
const LOWERCASE_U = 0x75;
const QUOTE = 0x22;
/** ASCII codes of the lowercase hex digits. */
const HEX_DIGITS = Array.from("0123456789abcdef", (digit) => digit.charCodeAt(0));
/** For a code unit with a short escape, the letter after the backslash; 0 for the others. */
const SHORT_ESCAPE_LETTER = new Uint8Array(128);
for (const [unit, escaped] of Object.entries(SHORT_ESCAPES)) SHORT_ESCAPE_LETTER[Number(unit)] = escaped.charCodeAt(1);

// Scratch for the general path, reused across calls; kept only up to this size.
const MAX_KEPT_SCRATCH_BYTES = 64 * 1024;
let scratch = new Uint8Array(0);
// Made on first use, like the one in encoding.ts: most subjects need no escapes.
let asciiDecoder: TextDecoder | undefined;

/**
 * The general path: escapes in one pass, written as ASCII bytes and decoded
 * once. A replace callback per character to escape costs ~0.1 µs each
 * (non-ASCII text has hundreds) and leaves a two-byte string, which then
 * encodes several times slower; this comes out as a one-byte string.
 */
function escapeAnyText(text: string): string {
  // Worst case: every code unit becomes a six-character \uXXXX escape.
  const needed = text.length * 6 + 2;
  const bytes = needed <= scratch.length ? scratch : new Uint8Array(needed);
  if (bytes !== scratch && needed <= MAX_KEPT_SCRATCH_BYTES) scratch = bytes;
  let at = 0;
  bytes[at++] = QUOTE;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0x20 && unit < 0x7f && unit !== QUOTE && unit !== BACKSLASH) {
      bytes[at++] = unit;
      continue;
    }
    bytes[at++] = BACKSLASH;
    const letter = unit < 0x80 ? (SHORT_ESCAPE_LETTER[unit] as number) : 0;
    if (letter !== 0) {
      bytes[at++] = letter;
      continue;
    }
    // Python writes any other code unit, surrogate halves included, as \uXXXX in lowercase hex.
    bytes[at++] = LOWERCASE_U;
    bytes[at++] = HEX_DIGITS[unit >> 12] as number;
    bytes[at++] = HEX_DIGITS[(unit >> 8) & 15] as number;
    bytes[at++] = HEX_DIGITS[(unit >> 4) & 15] as number;
    bytes[at++] = HEX_DIGITS[unit & 15] as number;
  }
  bytes[at++] = QUOTE;
  asciiDecoder ??= new TextDecoder();
  return asciiDecoder.decode(bytes.subarray(0, at));
}

/**
 * A string as a Python-style JSON string literal, quotes included. The
 * result is pure ASCII.
 *
 * @example
 * pythonJsonString("Grüße") // '"Gr\\u00fc\\u00dfe"'
 */
export function pythonJsonString(text: string): string {
  // Without the `u` flag the regular expressions match single code units,
  // so surrogate pairs come out as two escapes, as in Python.
  if (PLAIN.test(text)) return `"${text}"`;
  // Scans only as far as the test above did.
  const first = text.search(NEEDS_ESCAPE);
  // Printable ASCII with quotes, backslashes and line breaks (log lines):
  // plain-string replaceAll is several times faster than a replace callback
  // per character. Text whose first character to escape is another one
  // (non-ASCII, most likely) goes straight to the general path.
  if (COMMON_UNITS.has(text.charCodeAt(first))) {
    let out = text;
    for (const [char, escaped] of COMMON_ESCAPES) if (out.includes(char)) out = out.replaceAll(char, escaped);
    if (PRINTABLE.test(out)) return `"${out}"`;
  }
  return escapeAnyText(text);
}

/** Length of the JSON encoding of one code unit (1, 2 or 6). */
export function encodedUnitLength(unit: number): number {
  if (unit >= 0x20 && unit < 0x7f) return unit === 0x22 || unit === 0x5c ? 2 : 1;
  return SHORT_ESCAPES[unit] !== undefined ? 2 : 6;
}

/** A JSON value as Python writes it: strings, safe integers, booleans, and objects of them. */
export type PythonJsonValue = string | number | boolean | { readonly [key: string]: PythonJsonValue | undefined };

/**
 * Serialises a value like Python's `json.dumps`. Keys keep insertion order;
 * `undefined` members are left out. Numbers must be safe integers; the
 * frame's `version` float is written by the caller as a literal.
 */
export function pythonJsonDumps(value: PythonJsonValue): string {
  if (typeof value === "string") return pythonJsonString(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new TypeError("only safe integers are serialised");
    return String(value);
  }
  let out = "{";
  let first = true;
  for (const key of Object.keys(value)) {
    const member = value[key];
    if (member === undefined) continue;
    out += `${first ? "" : ", "}${pythonJsonString(key)}: ${pythonJsonDumps(member)}`;
    first = false;
  }
  return `${out}}`;
}
