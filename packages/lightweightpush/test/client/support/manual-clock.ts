/**
 * An injected clock for tests: time moves only when the client sleeps, and
 * every wait is recorded, so retry schedules are asserted without waiting.
 */
import type { Clock } from "../../../src/client/clock.js";

export class ManualClock implements Clock {
  #nowMs: number;
  /** Every wait the client asked for, in milliseconds. */
  readonly sleepsMs: number[] = [];
  /** When true, sleeps never end by themselves (only an abort ends them). */
  readonly #blockSleeps: boolean;

  constructor(startMs: number, options: { blockSleeps?: boolean } = {}) {
    this.#nowMs = startMs;
    this.#blockSleeps = options.blockSleeps ?? false;
  }

  nowMs(): number {
    return this.#nowMs;
  }

  /** The waits in whole seconds, as the reference vectors list them. */
  get sleepsSeconds(): number[] {
    return this.sleepsMs.map((ms) => ms / 1000);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.sleepsMs.push(ms);
    if (!this.#blockSleeps) {
      this.#nowMs += ms;
      return Promise.resolve();
    }
    return new Promise((_resolve, reject) => {
      signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
  }
}

/**
 * A random source that hands out fixed bytes for the first draw of each
 * length and then distinct, deterministic bytes, so that a client reusing
 * a draw would be caught.
 */
export function scriptedRandom(
  firstDraws: Readonly<Record<number, Uint8Array>>,
): ((length: number) => Uint8Array) & { draws: Uint8Array[] } {
  const used = new Set<number>();
  const draws: Uint8Array[] = [];
  let counter = 0;
  const random = (length: number): Uint8Array => {
    const first = firstDraws[length];
    let bytes: Uint8Array;
    if (first !== undefined && !used.has(length)) {
      if (first.length !== length) throw new Error(`scripted draw of ${length} bytes has ${first.length}`);
      used.add(length);
      bytes = first.slice();
    } else {
      counter++;
      bytes = new Uint8Array(length).map((_, i) => (counter * 97 + i * 13 + 5) & 0xff);
    }
    draws.push(bytes);
    return bytes;
  };
  return Object.assign(random, { draws });
}
