import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { buildPayload } from "../../src/protocol/message.js";
import { serializePayload } from "../../src/protocol/payload.js";
import { pythonJsonDumps, pythonJsonString } from "../../src/protocol/python-json.js";
import { randomText, seededRandom } from "./support/random-text.js";

// Expected texts are what Python 3's json.dumps writes for the same input.
const PYTHON_OUTPUT: readonly (readonly [string, string])[] = [
  ["", '""'],
  ["plain text", '"plain text"'],
  ['a"b\\c', '"a\\"b\\\\c"'],
  ["\n\r\t\b\f", '"\\n\\r\\t\\b\\f"'],
  ["\u0000\u0001\u001f\u007f\u0080\u00ff", '"\\u0000\\u0001\\u001f\\u007f\\u0080\\u00ff"'],
  ["Grüße €", '"Gr\\u00fc\\u00dfe \\u20ac"'],
  ["日本", '"\\u65e5\\u672c"'],
  ["😀", '"\\ud83d\\ude00"'],
  ["\ud800", '"\\ud800"'],
  ["\udc00x", '"\\udc00x"'],
  ["\ud83dx", '"\\ud83dx"'],
  ["a/b</script>", '"a/b</script>"'],
  ["\u2028\u2029", '"\\u2028\\u2029"'],
  ["\ufeff\uffff", '"\\ufeff\\uffff"'],
];

/** Straightforward per-code-unit reference of Python's ensure_ascii escaping. */
function referenceEscape(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    const short = { 34: '\\"', 92: "\\\\", 10: "\\n", 13: "\\r", 9: "\\t", 8: "\\b", 12: "\\f" }[unit];
    if (short !== undefined) out += short;
    else if (unit < 0x20 || unit >= 0x7f) out += `\\u${unit.toString(16).padStart(4, "0")}`;
    else out += text[i];
  }
  return `${out}"`;
}

describe("Python-compatible JSON", () => {
  test("strings are escaped exactly as Python's json.dumps does", () => {
    for (const [input, python] of PYTHON_OUTPUT) assert.equal(pythonJsonString(input), python, JSON.stringify(input));
  });

  test("random strings: pure ASCII, lowercase hex, read back by JSON.parse to the same code units", () => {
    const seed = 20261204;
    const next = seededRandom(seed);
    for (let i = 0; i < 2000; i++) {
      const text = randomText(next, 40);
      const encoded = pythonJsonString(text);
      assert.match(encoded, /^[\x20-\x7e]*$/, `seed ${seed}, case ${i}`);
      assert.doesNotMatch(encoded, /\\u[0-9a-f]{0,3}[A-F]/);
      assert.equal(encoded, referenceEscape(text), `seed ${seed}, case ${i}`);
      assert.equal(JSON.parse(encoded), text);
    }
  });

  test("objects use Python's separators and keep key order, leaving out undefined members", () => {
    assert.equal(pythonJsonDumps({ b: 1, a: "x", c: true, d: undefined, e: false }), '{"b": 1, "a": "x", "c": true, "e": false}');
    assert.equal(pythonJsonDumps({}), "{}");
    assert.equal(pythonJsonDumps({ "ü/": { n: -5 } }), '{"\\u00fc/": {"n": -5}}');
  });

  test("non-integers are refused rather than written in a form Python would not", () => {
    assert.throws(() => pythonJsonDumps(1.5), TypeError);
    assert.throws(() => pythonJsonDumps(Number.NaN), TypeError);
    assert.throws(() => pythonJsonDumps(2 ** 60), TypeError);
  });

  test("a payload serialises with the AlertR key order, st only with a state", () => {
    const withState = buildPayload({ subject: "Door", message: "Opened", state: 1, timeTriggered: 1764850000 }, 1764860000).payload;
    assert.equal(
      serializePayload(withState),
      '{"sbj": "Door", "msg": "Opened", "tt": 1764850000, "is_sa": true, "st": 1, "ts": 1764860000}',
    );
    const withoutState = buildPayload({ subject: "Door", message: "Opened", timeTriggered: 5 }, 6).payload;
    assert.equal(serializePayload(withoutState), '{"sbj": "Door", "msg": "Opened", "tt": 5, "is_sa": false, "ts": 6}');
    const v2 = buildPayload({ subject: "s", message: "m", state: 0, timeTriggered: 5 }, 6, "00112233445566778899aabbccddeeff").payload;
    assert.equal(
      serializePayload(v2),
      '{"sbj": "s", "msg": "m", "tt": 5, "is_sa": true, "st": 0, "ts": 6, "id": "00112233445566778899aabbccddeeff"}',
    );
  });
});
