/**
 * Byte and text encodings that work the same in every runtime: UTF-8,
 * ASCII, hex and base64 (standard and URL-safe).
 *
 * @module
 */

const encoder = new TextEncoder();
// Made on first use: a sender never decodes, and a process that only sends
// is short-lived (the first TextDecoder costs a tenth of a millisecond).
let decoder: TextDecoder | undefined;

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Decodes UTF-8, throwing on invalid sequences. */
export function fromUtf8(bytes: Uint8Array): string {
  decoder ??= new TextDecoder("utf-8", { fatal: true });
  return decoder.decode(bytes);
}

/** Lowercase hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += (b < 16 ? "0" : "") + b.toString(16);
  return out;
}

/** Bytes from hex; throws on odd length or a non-hex digit. */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || /[^0-9a-fA-F]/.test(hex)) throw new Error("invalid hex");
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

const STD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Node's Buffer is several times faster than any JavaScript loop; use it
// when the runtime has it, without importing anything Node-only.
interface BufferLike {
  from(buffer: ArrayBufferLike, byteOffset: number, length: number): { toString(encoding: string): string };
}
const NodeBuffer = (globalThis as { Buffer?: BufferLike }).Buffer;

function encode(bytes: Uint8Array, alphabet: string, pad: boolean): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out += alphabet.charAt(n >>> 18) + alphabet.charAt((n >>> 12) & 63) + alphabet.charAt((n >>> 6) & 63) + alphabet.charAt(n & 63);
  }
  const rest = bytes.length - i;
  if (rest > 0) {
    const n = ((bytes[i] as number) << 16) | (rest === 2 ? (bytes[i + 1] as number) << 8 : 0);
    out += alphabet.charAt(n >>> 18) + alphabet.charAt((n >>> 12) & 63);
    out += rest === 2 ? alphabet.charAt((n >>> 6) & 63) : pad ? "=" : "";
    if (pad) out += "=";
  }
  return out;
}

const STD_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const URL_RE = /^[A-Za-z0-9_-]*$/;

function decode(text: string, alphabet: string): Uint8Array {
  const body = text.replace(/=+$/, "");
  if (body.length % 4 === 1) throw new Error("invalid base64 length");
  const out = new Uint8Array(Math.floor((body.length * 3) / 4));
  let bits = 0;
  let value = 0;
  let o = 0;
  for (let i = 0; i < body.length; i++) {
    value = ((value << 6) | alphabet.indexOf(body.charAt(i))) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (value >>> bits) & 0xff;
    }
  }
  return out;
}

/** Standard padded base64, as Python's `base64.b64encode`. */
export function toBase64(bytes: Uint8Array): string {
  if (NodeBuffer) return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("base64");
  return encode(bytes, STD, true);
}

/** Decodes strict standard padded base64; throws on anything else. */
export function fromBase64(text: string): Uint8Array {
  if (!STD_RE.test(text)) throw new Error("invalid base64");
  return canonical(decode(text, STD), text, toBase64);
}

// Rejects encodings with non-zero unused bits, so that every accepted text
// maps to exactly one byte string and a changed character never goes unseen.
function canonical(bytes: Uint8Array, text: string, reencode: (b: Uint8Array) => string): Uint8Array {
  if (reencode(bytes) !== text) throw new Error("non-canonical base64");
  return bytes;
}

/** URL-safe base64 without padding (RFC 4648 section 5). */
export function toBase64Url(bytes: Uint8Array): string {
  if (NodeBuffer) return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("base64url");
  return encode(bytes, URL_SAFE, false);
}

/** Decodes URL-safe base64 without padding; throws on anything else. */
export function fromBase64Url(text: string): Uint8Array {
  if (!URL_RE.test(text) || text.length % 4 === 1) throw new Error("invalid base64url");
  return canonical(decode(text, URL_SAFE), text, toBase64Url);
}

/** Concatenates byte arrays. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Bytes of an ASCII string (callers guarantee every code unit is below 0x80). */
export function ascii(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * Writes an ASCII string into `target` at `offset` (callers guarantee every
 * code unit is below 0x80, so UTF-8 and ASCII agree, and that it fits).
 */
export function writeAscii(text: string, target: Uint8Array, offset: number): void {
  encoder.encodeInto(text, target.subarray(offset));
}
