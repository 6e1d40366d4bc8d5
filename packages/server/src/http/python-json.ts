/**
 * A JSON reader that keeps the one distinction `JSON.parse` loses and the
 * AlertR server relies on: whether a number is a Python `float` (`0.1`,
 * `1.0`, `1e3`) or an `int` (`1`). It accepts what Python's `json.loads`
 * accepts, including `NaN` and `Infinity`.
 *
 * @module
 */

/** A number with its Python type (a class, so that no parsed object can pass for one). */
export class PyNumber {
  constructor(
    readonly kind: "int" | "float",
    readonly value: number,
  ) {}
}

/** A parsed value: numbers keep their Python type. */
export type PyValue = null | boolean | string | PyNumber | PyValue[] | { [key: string]: PyValue };

/** Thrown for text that is not JSON. */
export class PyJsonSyntaxError extends Error {
  override readonly name = "PyJsonSyntaxError";
}

const MAX_DEPTH = 64;
// A backslash or a control character: the string needs the careful path.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const PLAIN_UNSAFE = /[\\\u0000-\u001f]/;
// Sticky and shared (a literal in the method would build a new RegExp per number); only used synchronously.
const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/y;

/**
 * Parses JSON text as Python's `json.loads` would.
 *
 * @example
 * parsePyJson('{"version": 1.0}') // { version: PyNumber { kind: "float", value: 1 } }
 */
export function parsePyJson(text: string): PyValue {
  const parser = new Parser(text);
  parser.ws();
  const value = parser.value(0);
  parser.ws();
  if (parser.pos !== text.length) parser.fail("trailing characters");
  return value;
}

class Parser {
  pos = 0;
  constructor(private readonly text: string) {}

  fail(what: string): never {
    throw new PyJsonSyntaxError(`${what} at position ${this.pos}`);
  }

  ws(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.pos++;
      else break;
    }
  }

  value(depth: number): PyValue {
    if (depth > MAX_DEPTH) this.fail("nesting too deep");
    const t = this.text;
    const c = t[this.pos];
    switch (c) {
      case "{":
        return this.object(depth);
      case "[":
        return this.array(depth);
      case '"':
        return this.string();
      case "t":
        return this.literal("true", true);
      case "f":
        return this.literal("false", false);
      case "n":
        return this.literal("null", null);
      case "N":
        return this.literal("NaN", new PyNumber("float", Number.NaN));
      case "I":
        return this.literal("Infinity", new PyNumber("float", Number.POSITIVE_INFINITY));
      default:
        if (c === "-" && t.startsWith("-Infinity", this.pos)) {
          return this.literal("-Infinity", new PyNumber("float", Number.NEGATIVE_INFINITY));
        }
        return this.number();
    }
  }

  literal<T extends PyValue>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) this.fail("unexpected token");
    this.pos += word.length;
    return value;
  }

  number(): PyNumber {
    const re = NUMBER;
    re.lastIndex = this.pos;
    const m = re.exec(this.text);
    if (m === null) this.fail("unexpected token");
    this.pos += m[0].length;
    const isFloat = m[1] !== undefined || m[2] !== undefined;
    return new PyNumber(isFloat ? "float" : "int", Number(m[0]));
  }

  string(): string {
    const t = this.text;
    this.pos++; // opening quote
    // Fast path: no escape and no control character before the closing quote (the common case).
    const close = t.indexOf('"', this.pos);
    if (close !== -1) {
      const plain = t.slice(this.pos, close);
      if (!PLAIN_UNSAFE.test(plain)) {
        this.pos = close + 1;
        return plain;
      }
    }
    let out = "";
    let start = this.pos;
    while (true) {
      if (this.pos >= t.length) this.fail("unterminated string");
      const c = t.charCodeAt(this.pos);
      if (c === 0x22) {
        out += t.slice(start, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) this.fail("control character in string");
      if (c === 0x5c) {
        out += t.slice(start, this.pos);
        const e = t[this.pos + 1];
        this.pos += 2;
        switch (e) {
          case '"':
            out += '"';
            break;
          case "\\":
            out += "\\";
            break;
          case "/":
            out += "/";
            break;
          case "b":
            out += "\b";
            break;
          case "f":
            out += "\f";
            break;
          case "n":
            out += "\n";
            break;
          case "r":
            out += "\r";
            break;
          case "t":
            out += "\t";
            break;
          case "u": {
            const hex = t.slice(this.pos, this.pos + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail("bad unicode escape");
            out += String.fromCharCode(Number.parseInt(hex, 16));
            this.pos += 4;
            break;
          }
          default:
            this.pos -= 2;
            this.fail("bad escape");
        }
        start = this.pos;
        continue;
      }
      this.pos++;
    }
  }

  array(depth: number): PyValue[] {
    this.pos++;
    const out: PyValue[] = [];
    this.ws();
    if (this.text[this.pos] === "]") {
      this.pos++;
      return out;
    }
    while (true) {
      this.ws();
      out.push(this.value(depth + 1));
      this.ws();
      const c = this.text[this.pos++];
      if (c === "]") return out;
      if (c !== ",") this.fail("expected , or ]");
    }
  }

  object(depth: number): { [key: string]: PyValue } {
    this.pos++;
    // A null prototype: keys like "__proto__" are plain data.
    const out: { [key: string]: PyValue } = Object.create(null);
    this.ws();
    if (this.text[this.pos] === "}") {
      this.pos++;
      return out;
    }
    while (true) {
      this.ws();
      if (this.text[this.pos] !== '"') this.fail("expected a key");
      const key = this.string();
      this.ws();
      if (this.text[this.pos++] !== ":") this.fail("expected :");
      this.ws();
      out[key] = this.value(depth + 1);
      this.ws();
      const c = this.text[this.pos++];
      if (c === "}") return out;
      if (c !== ",") this.fail("expected , or }");
    }
  }
}
