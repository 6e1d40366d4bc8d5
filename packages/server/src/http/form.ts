/**
 * Reading `application/x-www-form-urlencoded` bodies strictly: invalid
 * percent-escapes or bytes that are not UTF-8 are reported, never replaced
 * with U+FFFD as `URLSearchParams` would do.
 *
 * @module
 */

const utf8 = new TextDecoder("utf-8", { fatal: true });

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
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new FormEncodingError("form data is not valid UTF-8");
  }
  let found: string | undefined;
  for (const pair of text.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const key = decodeComponent(eq === -1 ? pair : pair.slice(0, eq));
    const value = decodeComponent(eq === -1 ? "" : pair.slice(eq + 1));
    if (found === undefined && key === name) found = value;
  }
  return found;
}

function decodeComponent(raw: string): string {
  const spaced = raw.includes("+") ? raw.replaceAll("+", " ") : raw;
  if (!spaced.includes("%")) return spaced;
  try {
    // Strict: a malformed escape or escaped bytes that are not UTF-8 throw, never become U+FFFD.
    return decodeURIComponent(spaced);
  } catch {
    throw new FormEncodingError("invalid percent-escape or invalid UTF-8 in form data");
  }
}
