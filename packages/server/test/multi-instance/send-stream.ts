/**
 * A stream of sends against several instances, recording what each answer
 * was, for the outage tests.
 *
 * @module
 */
import { sendFrame } from "./services.js";

/** Senders running until stopped; every answer is recorded. */
export class SendStream {
  /** Payloads answered with `{"Code": 0}`. */
  readonly acknowledged: string[] = [];
  /** Every non-zero answer, in order. */
  readonly refusals: number[] = [];
  #next = 0;
  #running = true;
  readonly #workers: Promise<void>[];

  constructor(
    urls: readonly string[],
    readonly account: { username: string; password: string; channel: string },
    concurrency = 3,
  ) {
    this.#workers = Array.from({ length: concurrency }, (_, w) => this.#work(urls, w));
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#workers);
  }

  async #work(urls: readonly string[], worker: number): Promise<void> {
    let turn = worker;
    while (this.#running) {
      const payload = `m-${this.#next++}`;
      const code = await sendFrame(urls[turn++ % urls.length]!, { ...this.account, data: payload });
      if (code === 0) this.acknowledged.push(payload);
      else {
        this.refusals.push(code);
        // A client backs off before retrying; keep the refusals from spinning the CPU.
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }
}
