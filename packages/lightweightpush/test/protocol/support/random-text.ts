/**
 * Seeded random text for property tests: reproducible from the seed that a
 * failing assertion prints.
 */

/** A small deterministic PRNG (mulberry32) returning floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Pieces whose JSON encodings differ in width: 1, 2 (short escapes) and 6
// or 12 characters (\u escapes, surrogate pairs), lone surrogates included.
const PIECES = ["a", "Z", " ", "/", "~", "\n", "\t", '"', "\\", "\u0001", "\u007f", "é", "€", "日", "😀", "👍🏽", "\ud800", "\udfff"];

/** Random text of up to `maxCodePoints` pieces, biased towards a few kinds per string. */
export function randomText(next: () => number, maxCodePoints: number): string {
  const count = Math.floor(next() * (maxCodePoints + 1));
  const kinds = PIECES.filter(() => next() < 0.4);
  const pool = kinds.length > 0 ? kinds : PIECES;
  let out = "";
  for (let i = 0; i < count; i++) out += pool[Math.floor(next() * pool.length)];
  return out;
}
