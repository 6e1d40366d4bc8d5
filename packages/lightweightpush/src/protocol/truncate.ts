/**
 * The 1400-character limit on the JSON-encoded subject plus message, and
 * truncation that keeps the longest possible text.
 *
 * @module
 */
import { encodedUnitLength, pythonJsonString } from "./python-json.js";

/** Maximum JSON-encoded length of subject plus message, quotes included. */
export const MAX_ENCODED_TEXT_LENGTH = 1400;

/** Marker appended to a truncated field. */
export const TRUNCATION_MARKER = "*TRUNC*";

/** When neither field alone can absorb the overflow, the subject keeps at most this much. */
const SUBJECT_SHARE_WHEN_BOTH_CUT = 200;

const QUOTES = 2;
const MARKER_LENGTH = TRUNCATION_MARKER.length;

/** Result of {@link truncateText}. */
export interface TruncatedText {
  readonly subject: string;
  readonly message: string;
  /** Whether either field was cut. */
  readonly truncated: boolean;
  /** `subject` as a JSON string literal (quotes included), as it goes into the payload. */
  readonly subjectJson: string;
  /** `message` as a JSON string literal (quotes included), as it goes into the payload. */
  readonly messageJson: string;
}

/** JSON-encoded length of a string, quotes included. */
export function encodedLength(text: string): number {
  // Encoding is a native regular-expression scan, several times faster than
  // summing per code unit.
  return pythonJsonString(text).length;
}

/**
 * The longest prefix of `text` whose encoding plus the marker fits in
 * `budget` characters (quotes included), cut only between code points, so
 * that neither a surrogate pair nor an escape is ever split. Returns
 * `undefined` when not even the bare marker fits.
 */
function cutToFit(text: string, budget: number): string | undefined {
  let used = QUOTES + MARKER_LENGTH;
  if (used > budget) return undefined;
  let end = 0;
  while (end < text.length) {
    const unit = text.charCodeAt(end);
    const pair = unit >= 0xd800 && unit <= 0xdbff && isLowSurrogate(text.charCodeAt(end + 1));
    const width = pair ? 2 : 1;
    const cost = encodedUnitLength(unit) + (pair ? encodedUnitLength(text.charCodeAt(end + 1)) : 0);
    if (used + cost > budget) break;
    used += cost;
    end += width;
  }
  return text.slice(0, end) + TRUNCATION_MARKER;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

/**
 * Fits subject and message into {@link MAX_ENCODED_TEXT_LENGTH}.
 *
 * The message is cut first, keeping the subject whole, as long as at least
 * one character of the message survives; otherwise the subject is cut and
 * the message kept whole; only when neither alone can give way are both
 * cut, the subject to at most 200 encoded characters. The same choices as
 * the original client wherever its arithmetic was right, but counted on the
 * encoded text, so escaped and non-ASCII text is never over-cut.
 *
 * @example
 * truncateText("Long log", "A".repeat(2000)).message.length // 1388
 */
export function truncateText(subject: string, message: string, limit = MAX_ENCODED_TEXT_LENGTH): TruncatedText {
  // The encodings are kept so that the payload need not encode the text again.
  const subjectJson = pythonJsonString(subject);
  const messageJson = pythonJsonString(message);
  const subjectLength = subjectJson.length;
  const messageLength = messageJson.length;
  if (subjectLength + messageLength <= limit) return { subject, message, truncated: false, subjectJson, messageJson };

  const cutMessage = cutToFit(message, limit - subjectLength);
  if (cutMessage !== undefined && cutMessage.length > MARKER_LENGTH) {
    return { subject, message: cutMessage, truncated: true, subjectJson, messageJson: pythonJsonString(cutMessage) };
  }
  const cutSubject = cutToFit(subject, limit - messageLength);
  if (cutSubject !== undefined && cutSubject.length > MARKER_LENGTH) {
    return { subject: cutSubject, message, truncated: true, subjectJson: pythonJsonString(cutSubject), messageJson };
  }
  const shortSubject = cutToFit(subject, SUBJECT_SHARE_WHEN_BOTH_CUT) ?? TRUNCATION_MARKER;
  const shortSubjectJson = pythonJsonString(shortSubject);
  const shortMessage = cutToFit(message, limit - shortSubjectJson.length) ?? TRUNCATION_MARKER;
  return {
    subject: shortSubject,
    message: shortMessage,
    truncated: true,
    subjectJson: shortSubjectJson,
    messageJson: pythonJsonString(shortMessage),
  };
}
