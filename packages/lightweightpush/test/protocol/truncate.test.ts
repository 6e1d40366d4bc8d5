import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { pythonJsonString } from "../../src/protocol/python-json.js";
import { encodedLength, MAX_ENCODED_TEXT_LENGTH, TRUNCATION_MARKER, truncateText } from "../../src/protocol/truncate.js";
import { randomText, seededRandom } from "./support/random-text.js";

const LIMIT = MAX_ENCODED_TEXT_LENGTH;

function isHigh(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}
function isLow(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

/** Length in code units of the code point starting at `index` (a lone surrogate counts as one). */
function codePointWidth(text: string, index: number): number {
  return isHigh(text.charCodeAt(index)) && isLow(text.charCodeAt(index + 1)) ? 2 : 1;
}

/** The kept prefix of a cut field, after checking that the field is prefix + marker cut between code points. */
function keptPrefix(field: string, original: string, where: string): string {
  assert.ok(field.endsWith(TRUNCATION_MARKER), `${where}: a cut field ends with ${TRUNCATION_MARKER}`);
  const prefix = field.slice(0, -TRUNCATION_MARKER.length);
  assert.ok(original.startsWith(prefix), `${where}: the kept text is a prefix of the original`);
  assert.ok(prefix.length < original.length, `${where}: something was cut`);
  assert.ok(
    !(isHigh(prefix.charCodeAt(prefix.length - 1)) && isLow(original.charCodeAt(prefix.length))),
    `${where}: no split surrogate pair`,
  );
  return prefix;
}

/** Whether keeping one more code point of `original` after `prefix` would still fit beside `other`. */
function oneMoreFits(prefix: string, original: string, other: string): boolean {
  const longer = original.slice(0, prefix.length + codePointWidth(original, prefix.length)) + TRUNCATION_MARKER;
  return encodedLength(longer) + encodedLength(other) <= LIMIT;
}

/** Subject, message and whether they were cut; checks that the encodings handed on match the text. */
function truncate(subject: string, message: string): { subject: string; message: string; truncated: boolean } {
  const result = truncateText(subject, message);
  assert.equal(result.subjectJson, pythonJsonString(result.subject));
  assert.equal(result.messageJson, pythonJsonString(result.message));
  return { subject: result.subject, message: result.message, truncated: result.truncated };
}

function checkTruncation(subject: string, message: string, where: string): void {
  const result = truncate(subject, message);
  const fits = encodedLength(subject) + encodedLength(message) <= LIMIT;
  if (fits) {
    assert.deepEqual(result, { subject, message, truncated: false }, `${where}: text that fits is unchanged`);
    return;
  }
  assert.equal(result.truncated, true, where);
  assert.ok(encodedLength(result.subject) + encodedLength(result.message) <= LIMIT, `${where}: the result fits`);
  const subjectCut = result.subject !== subject;
  const messageCut = result.message !== message;
  assert.ok(subjectCut || messageCut, where);
  if (messageCut) {
    const kept = keptPrefix(result.message, message, `${where} (message)`);
    // Maximal: one more code point of the message would not fit beside the subject as sent.
    assert.ok(!oneMoreFits(kept, message, result.subject), `${where}: the message keeps as much as fits`);
  }
  if (subjectCut) {
    const kept = keptPrefix(result.subject, subject, `${where} (subject)`);
    if (!messageCut) {
      assert.ok(!oneMoreFits(kept, subject, message), `${where}: the subject keeps as much as fits`);
      // The message is cut first whenever that alone could make room.
      if (message.length > 0) {
        const minimalMessage = message.slice(0, codePointWidth(message, 0)) + TRUNCATION_MARKER;
        assert.ok(encodedLength(subject) + encodedLength(minimalMessage) > LIMIT, `${where}: message cut first when possible`);
      }
    }
  }
}

describe("truncation", () => {
  test("text up to the limit is sent unchanged; one character over cuts the message to fit exactly", () => {
    const subject = "a".repeat(100);
    assert.deepEqual(truncate(subject, "b".repeat(1296)), { subject, message: "b".repeat(1296), truncated: false });
    const cut = truncate(subject, "b".repeat(1297));
    assert.equal(cut.message, `${"b".repeat(1289)}${TRUNCATION_MARKER}`);
    assert.equal(encodedLength(cut.subject) + encodedLength(cut.message), LIMIT);
  });

  test("escaped text is counted as encoded, so newlines are not over-cut", () => {
    const message = "line\n".repeat(600);
    const { subject, message: cut } = truncate("Log with newlines", message);
    assert.equal(subject, "Log with newlines");
    assert.equal(encodedLength(subject) + encodedLength(cut), LIMIT);
    assert.ok(cut.length > 1100, `kept ${cut.length} characters`);
  });

  test("300 emoji keep 115 whole emoji and the subject", () => {
    const { subject, message, truncated } = truncate("emoji", "😀".repeat(300));
    assert.equal(subject, "emoji");
    assert.equal(message, `${"😀".repeat(115)}${TRUNCATION_MARKER}`);
    assert.ok(truncated);
  });

  test("a cut never splits a surrogate pair, whatever the budget", () => {
    for (let pad = 0; pad < 12; pad++) {
      const { message } = truncate("x".repeat(pad), "😀".repeat(200));
      const prefix = message.slice(0, -TRUNCATION_MARKER.length);
      assert.equal(prefix, "😀".repeat(prefix.length / 2), `pad ${pad}`);
    }
  });

  test("a long subject with a short message cuts the subject; both too long cut both", () => {
    const subjectOnly = truncate("S".repeat(1500), "short");
    assert.equal(subjectOnly.message, "short");
    assert.equal(subjectOnly.subject, `${"S".repeat(1384)}${TRUNCATION_MARKER}`);
    const both = truncate("S".repeat(1500), "M".repeat(1500));
    assert.ok(both.subject.endsWith(TRUNCATION_MARKER) && both.message.endsWith(TRUNCATION_MARKER));
    assert.ok(encodedLength(both.subject) <= 200);
    assert.equal(encodedLength(both.subject) + encodedLength(both.message), LIMIT);
  });

  test("randomised text with escapes, emoji, newlines and lone surrogates: fits, maximal, unchanged when it fits", () => {
    const seed = 1400;
    const next = seededRandom(seed);
    let cut = 0;
    for (let i = 0; i < 1500; i++) {
      const bigSubject = next() < 0.2;
      const subject = randomText(next, bigSubject ? 1500 : 120);
      const message = randomText(next, next() < 0.5 ? 1500 : 500);
      checkTruncation(subject, message, `seed ${seed}, case ${i}`);
      if (truncate(subject, message).truncated) cut++;
    }
    assert.ok(cut > 300 && cut < 1400, `a useful mix of cut (${cut}) and uncut cases`);
  });
});
