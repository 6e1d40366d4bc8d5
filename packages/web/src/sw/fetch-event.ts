/**
 * Fetching one message by id from its channel's event stream. The server
 * leaves the sealed payload out of a Web Push message that would not fit a
 * push service's size limit; the worker then reads the message from the
 * stream, starting just before it.
 *
 * @module
 */
import { channelEventsUrl, SseParser } from "lightweightpush/receiver";

/** How long to wait for the stream to deliver the message. */
const FETCH_TIMEOUT_MS = 15_000;

/**
 * Reads the `message` event with server id `id` from `prefixedChannel`'s
 * stream and returns its JSON data, or `undefined` when it does not come
 * (gone from the cache, server unreachable, timeout).
 */
export async function fetchEventData(serverUrl: string, prefixedChannel: string, id: string): Promise<string | undefined> {
  if (!/^\d{1,15}$/.test(id) || id === "0") return undefined;
  const url = new URL(channelEventsUrl(serverUrl, prefixedChannel));
  url.searchParams.set("since", String(Number(id) - 1));
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), FETCH_TIMEOUT_MS);
  try {
    const response = await fetch(url, { headers: { accept: "text/event-stream" }, signal: controller.signal, cache: "no-store" });
    if (!response.ok || !response.body) return undefined;
    let found: string | undefined;
    let passed = false;
    const parser = new SseParser((event) => {
      if (event.event !== "message" || found !== undefined) return;
      if (event.id === id) found = event.data;
      else if (event.id !== undefined && Number(event.id) > Number(id)) passed = true;
    });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    while (found === undefined && !passed) {
      const { value, done } = await reader.read();
      if (done) break;
      parser.push(value);
    }
    return found;
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}
