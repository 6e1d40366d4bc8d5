/**
 * Live delivery over Server-Sent Events, one `EventSource` per channel.
 * `EventSource` itself reconnects with `Last-Event-ID`; the last id of each
 * channel is also stored, so a reload resumes with `?since=ID`, and a
 * stream the browser gave up on (an HTTP error) is reopened with backoff.
 * A channel's first stream starts at a unix time (`?since=TIME`, which the
 * server tells from an id by size), so nothing sent after setup is missed.
 *
 * @module
 */
import { channelEventsUrl } from "lightweightpush/receiver";
import { type ChannelSubscription, EventOpener } from "../shared/opener.js";
import type { HistoryRecord } from "../shared/records.js";
import type { Settings } from "../shared/settings.js";
import type { Store } from "../shared/store.js";

/** Connection state of one channel. */
export type ChannelStatus = "connecting" | "live" | "reconnecting";

/** Callbacks of {@link LiveStreams}. */
export interface LiveStreamHandlers {
  /** A new entry was stored (never called twice for the same message). */
  readonly onRecord: (record: HistoryRecord) => void;
  readonly onStatus: (channel: ChannelSubscription, status: ChannelStatus) => void;
}

const FIRST_RETRY_DELAY_MS = 1_000;
/**
 * A channel without a stored id starts this long before now (unix time
 * `since=`), so that clock skew between browser and server loses nothing.
 */
const FIRST_START_MARGIN_SECONDS = 60;
const MAX_RETRY_DELAY_MS = 30_000;

/** The events URL of a channel, resuming after `since` (a message id or a unix time). */
export function streamUrl(serverUrl: string, prefixedChannel: string, since: string): string {
  const url = new URL(channelEventsUrl(serverUrl, prefixedChannel));
  url.searchParams.set("since", since);
  return url.toString();
}

class ChannelStream {
  #source: EventSource | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #retryDelayMs = FIRST_RETRY_DELAY_MS;
  // Events are handled one after another so that the stored cursor only moves forward.
  #queue: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(
    private readonly settings: Settings,
    private readonly channel: ChannelSubscription,
    private readonly opener: EventOpener,
    private readonly store: Store,
    private readonly handlers: LiveStreamHandlers,
  ) {}

  async start(): Promise<void> {
    let lastId = await this.store.getCursor(this.settings.serverUrl, this.channel.prefixed);
    if (lastId === undefined) {
      // Without a starting point, a reconnect before the first message would resume "live" and miss what was sent meanwhile.
      lastId = String(Math.floor(Date.now() / 1000) - FIRST_START_MARGIN_SECONDS);
      await this.store.setCursor(this.settings.serverUrl, this.channel.prefixed, lastId);
    }
    if (this.#stopped) return;
    this.handlers.onStatus(this.channel, "connecting");
    const source = new EventSource(streamUrl(this.settings.serverUrl, this.channel.prefixed, lastId));
    this.#source = source;
    source.onopen = () => {
      this.#retryDelayMs = FIRST_RETRY_DELAY_MS;
      this.handlers.onStatus(this.channel, "live");
    };
    source.onerror = () => {
      if (this.#stopped) return;
      this.handlers.onStatus(this.channel, "reconnecting");
      // CONNECTING: the browser retries by itself. CLOSED: it gave up, so we retry.
      if (source.readyState === EventSource.CLOSED) this.#scheduleRestart();
    };
    source.addEventListener("message", (event) => {
      const data = event.data as string;
      const lastEventId = event.lastEventId;
      this.#queue = this.#queue.then(() => this.#handle(data, lastEventId)).catch(() => undefined);
    });
  }

  async #handle(data: string, lastEventId: string): Promise<void> {
    const record = await this.opener.open(data, this.channel.prefixed);
    if (record !== undefined && (await this.store.addRecord(record))) this.handlers.onRecord(record);
    // The cursor is the SSE id, exactly what the server takes back as Last-Event-ID or since=.
    const cursor = lastEventId || record?.id;
    if (cursor && !this.#stopped) await this.store.setCursor(this.settings.serverUrl, this.channel.prefixed, cursor);
  }

  #scheduleRestart(): void {
    this.#source?.close();
    const delayMs = this.#retryDelayMs;
    this.#retryDelayMs = Math.min(this.#retryDelayMs * 2, MAX_RETRY_DELAY_MS);
    this.#retryTimer = setTimeout(() => {
      // Wait for queued events, so the restart resumes after the last stored one.
      void this.#queue.then(() => this.start());
    }, delayMs);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    this.#source?.close();
  }
}

/**
 * Subscribes to every configured channel of `settings`.
 *
 * @example
 * const streams = new LiveStreams(settings, channels, store, { onRecord: render, onStatus: showStatus });
 * await streams.start();
 * streams.stop();
 */
export class LiveStreams {
  readonly #streams: ChannelStream[];

  constructor(settings: Settings, channels: readonly ChannelSubscription[], store: Store, handlers: LiveStreamHandlers) {
    const opener = new EventOpener(settings);
    this.#streams = channels.map((channel) => new ChannelStream(settings, channel, opener, store, handlers));
  }

  async start(): Promise<void> {
    await Promise.all(this.#streams.map((s) => s.start()));
  }

  stop(): void {
    for (const stream of this.#streams) stream.stop();
  }
}
