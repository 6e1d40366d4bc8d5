/**
 * A Server-Sent Events subscriber over a real socket, for tests: collects
 * message events (parsed with the library's `SseParser`) and counts
 * comment lines (heartbeats).
 *
 * @module
 */
import http from "node:http";
import { parseServerEvent, type ServerEvent, SseParser } from "lightweightpush/receiver";
import { waitFor } from "./test-server.js";

/** An open subscription. */
export interface SseSubscription {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly events: ServerEvent[];
  /** SSE `id:` lines of the events, in order. */
  readonly ids: string[];
  /** Comment lines seen (`: heartbeat`, `: connected`). */
  readonly comments: string[];
  /** Whether the server ended the stream. */
  readonly ended: () => boolean;
  /** Waits until at least `count` events arrived. */
  waitForEvents(count: number, timeoutMs?: number): Promise<ServerEvent[]>;
  close(): void;
}

/**
 * Opens `url` as an event stream; resolves once the server confirmed the
 * subscription (its `: connected` comment), or at once for a non-200 answer.
 */
export function subscribe(url: string, options: { lastEventId?: string } = {}): Promise<SseSubscription> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { accept: "text/event-stream" };
    if (options.lastEventId !== undefined) headers["last-event-id"] = options.lastEventId;
    const request = http.get(url, { headers }, (response) => {
      const events: ServerEvent[] = [];
      const ids: string[] = [];
      const comments: string[] = [];
      let ended = false;
      let partial = "";
      const parser = new SseParser((event) => {
        if (event.event !== "message") return;
        const parsed = parseServerEvent(event.data);
        if (parsed !== undefined) events.push(parsed);
        if (event.id !== undefined) ids.push(event.id);
      });
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        parser.push(chunk);
        partial += chunk;
        const lines = partial.split("\n");
        partial = lines.pop() ?? "";
        for (const line of lines) if (line.startsWith(":")) comments.push(line);
      });
      response.on("end", () => {
        ended = true;
      });
      response.on("error", () => {
        ended = true;
      });
      const subscription: SseSubscription = {
        status: response.statusCode ?? 0,
        headers: response.headers,
        events,
        ids,
        comments,
        ended: () => ended,
        waitForEvents: (count, timeoutMs = 20_000) => waitFor(() => events.length >= count && events, timeoutMs),
        close: () => request.destroy(),
      };
      if (response.statusCode !== 200) resolve(subscription);
      else {
        const confirmed = setInterval(() => {
          if (comments.includes(": connected") || ended) {
            clearInterval(confirmed);
            resolve(subscription);
          }
        }, 5);
      }
    });
    request.on("error", reject);
  });
}
