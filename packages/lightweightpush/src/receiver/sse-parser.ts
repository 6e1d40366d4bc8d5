/**
 * An incremental Server-Sent Events parser (the WHATWG event-stream
 * format), for runtimes without `EventSource` such as Node.
 *
 * @module
 */

/** One dispatched event. */
export interface SseEvent {
  readonly event: string;
  readonly data: string;
  /** The `id:` of this event, when it had one. */
  readonly id?: string;
}

/**
 * Feeds text chunks in, calls `onEvent` for each complete event. Comments
 * (heartbeats) are skipped; `retry:` is ignored.
 */
export class SseParser {
  #buffer = "";
  #data: string[] = [];
  #event = "";
  #id: string | undefined;

  constructor(private readonly onEvent: (event: SseEvent) => void) {}

  push(chunk: string): void {
    this.#buffer += chunk;
    let newline = this.#buffer.search(/\r\n|\r|\n/);
    while (newline !== -1) {
      // A lone \r at the very end may be the first half of \r\n: wait for more.
      if (this.#buffer[newline] === "\r" && newline === this.#buffer.length - 1) break;
      const line = this.#buffer.slice(0, newline);
      const width = this.#buffer.startsWith("\r\n", newline) ? 2 : 1;
      this.#buffer = this.#buffer.slice(newline + width);
      this.#line(line);
      newline = this.#buffer.search(/\r\n|\r|\n/);
    }
  }

  #line(line: string): void {
    if (line === "") {
      if (this.#data.length > 0) {
        const id = this.#id;
        this.onEvent({ event: this.#event || "message", data: this.#data.join("\n"), ...(id !== undefined ? { id } : {}) });
      }
      this.#data = [];
      this.#event = "";
      this.#id = undefined;
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.#data.push(value);
    else if (field === "event") this.#event = value;
    else if (field === "id" && !value.includes("\u0000")) this.#id = value;
  }
}
