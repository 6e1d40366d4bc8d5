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
// as fast as an unanchored search for a character to escape.
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const PRINTABLE = /^[\x20-\x7e]*$/;
const TO_ESCAPE = /[^\x20\x21\x23-\x5b\x5d-\x7e]/g;

/** The escapes most text needs (backslash first, so that no escape is escaped again). */
const COMMON_ESCAPES: readonly (readonly [string, string])[] = [
  ["\\", "\\\\"],
  ['"', '\\"'],
  ["\n", "\\n"],
  ["\r", "\\r"],
  ["\t", "\\t"],
];

// Two lowercase hex digits per byte, so that a \uXXXX escape is two lookups.
const HEX_BYTE = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

/** Escaped form of one UTF-16 code unit (one that does not stand as itself). */
function escapeUnit(char: string): string {
  const unit = char.charCodeAt(0);
  return SHORT_ESCAPES[unit] ?? `\\u${HEX_BYTE[unit >> 8]}${HEX_BYTE[unit & 0xff]}`;
}

/**
 * A string as a Python-style JSON string literal, quotes included. The
 * result is pure ASCII.
 *
 * @example
 * pythonJsonString("Grüße") // '"Gr\\u00fc\\u00dfe"'
 */
export function pythonJsonString(text: string): string {
  // The regular expression engine scans far faster than a code-unit loop;
  // without the `u` flag it matches single code units, so surrogate pairs
  // come out as two escapes, as in Python.
  if (PLAIN.test(text)) return `"${text}"`;
  // Printable ASCII with quotes, backslashes and line breaks (log lines):
  // plain-string replaceAll is several times faster than a replace callback
  // per character. Anything else takes the general path on the original.
  let out = text;
  for (const [char, escaped] of COMMON_ESCAPES) if (out.includes(char)) out = out.replaceAll(char, escaped);
  if (PRINTABLE.test(out)) return `"${out}"`;
  return `"${text.replace(TO_ESCAPE, escapeUnit)}"`;
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
