/**
 * `GET /v1/channels/{prefixedChannel}/events`: Server-Sent Events of one
 * channel. `Last-Event-ID` or `?since=` first replays the message cache,
 * then the stream continues live with no gap and no duplicate.
 *
 * @module
 */
import type { ServerResponse } from "node:http";
import type { Writable } from "node:stream";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ReadAuthorizer, ServerContext } from "../extension.js";
import type { BusMessage } from "../fanout/bus.js";
import type { ServerMetrics } from "../metrics/metrics.js";
import type { MessageQuery, StoredMessage } from "../storage/storage.js";
import { checkWireChannel } from "./send-frame.js";

/** Values of `since` at or above this are unix times (seconds); below, message ids. */
export const SINCE_TIME_THRESHOLD = 1_000_000_000;

/** Messages read from the cache per query while replaying. */
const REPLAY_PAGE = 500;

/**
 * A subscriber whose unsent data grows beyond this is disconnected; it
 * reconnects with `Last-Event-ID` and catches up from the cache.
 */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** Where a stream starts. */
export type StreamStart =
  | { readonly kind: "live" }
  | { readonly kind: "after-id"; readonly id: number }
  | { readonly kind: "since-time"; readonly timeMs: number };

/**
 * Reads the start of a stream: `Last-Event-ID` wins (a reconnecting
 * `EventSource` sends it while its URL still has the original `since`);
 * else `since` = `all`, a message id, or a unix time in seconds (values
 * from {@link SINCE_TIME_THRESHOLD} up). `undefined` means invalid.
 *
 * @example
 * parseStreamStart(undefined, "all") // { kind: "after-id", id: 0 }
 */
export function parseStreamStart(lastEventId: string | undefined, since: string | undefined): StreamStart | undefined {
  if (lastEventId !== undefined && lastEventId.trim() !== "") {
    const id = lastEventId.trim();
    return /^\d{1,15}$/.test(id) ? { kind: "after-id", id: Number(id) } : undefined;
  }
  if (since === undefined || since === "") return { kind: "live" };
  if (since === "all") return { kind: "after-id", id: 0 };
  if (!/^\d{1,15}$/.test(since)) return undefined;
  const n = Number(since);
  return n >= SINCE_TIME_THRESHOLD ? { kind: "since-time", timeMs: n * 1000 } : { kind: "after-id", id: n };
}

/** One event, as text and as an HTTP/1.1 chunk ready to be written to many sockets. */
interface FramedEvent {
  readonly text: string;
  readonly chunk: Buffer;
}

// Every subscriber of a channel gets the same message object in turn: frame it once, not once per subscriber.
let lastFramed: { message: StoredMessage; framed: FramedEvent } | undefined;

function framedEvent(message: StoredMessage): FramedEvent {
  if (lastFramed?.message === message) return lastFramed.framed;
  const text = formatEvent(message);
  const body = Buffer.from(text, "utf8");
  const framed = { text, chunk: Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from("\r\n")]) };
  lastFramed = { message, framed };
  return framed;
}

/** One `message` event in SSE framing. */
export function formatMessageEvent(message: StoredMessage): string {
  return framedEvent(message).text;
}

function formatEvent(message: StoredMessage): string {
  const data = JSON.stringify({
    id: message.id,
    time: Math.floor(message.timeMs / 1000),
    channel: message.channel,
    payload: message.payload,
  });
  return `id: ${message.id}\nevent: message\ndata: ${data}\n\n`;
}

/** Resolves when `res` drained or closed. */
function drained(res: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

/** What the events route needs. */
export interface EventsRouteOptions {
  readonly context: ServerContext;
  readonly metrics: ServerMetrics;
  readonly authorizeRead: ReadAuthorizer;
  /** Open streams, so that shutdown can end them. */
  readonly streams: Set<ServerResponse>;
}

/** Registers the events route. */
export function registerEventsRoute(app: FastifyInstance, options: EventsRouteOptions): void {
  const { context, metrics, authorizeRead, streams } = options;
  const { bus, storage, config } = context;

  app.get(
    "/v1/channels/:channel/events",
    async (request: FastifyRequest<{ Params: { channel: string }; Querystring: { since?: string } }>, reply: FastifyReply) => {
      const checked = checkWireChannel(request.params.channel, config.maxChannelLength);
      if ("code" in checked) return reply.code(400).send({ error: "invalid channel", reason: checked.reason });
      const channel = checked.channel;
      const lastEventId = request.headers["last-event-id"];
      const since = request.query.since;
      const start = parseStreamStart(
        Array.isArray(lastEventId) ? lastEventId[0] : lastEventId,
        typeof since === "string" ? since : undefined,
      );
      if (start === undefined) {
        return reply.code(400).send({ error: "invalid since", reason: "since must be all, a message id or a unix time" });
      }
      if (!(await authorizeRead(request, channel))) return reply.code(403).send({ error: "forbidden" });

      const res = reply.raw;
      reply.hijack();
      res.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache, no-transform",
        "x-accel-buffering": "no",
        // Reading needs no credentials, so any origin may read (a web app hosted elsewhere, too).
        "access-control-allow-origin": "*",
      });
      // Headers go out now, so that events may follow as raw chunks at any time.
      res.flushHeaders();
      streams.add(res);
      metrics.streamsOpened++;

      // With chunked encoding (every HTTP/1.1 client), events go to the socket as ready-made chunks: one
      // shared buffer per message instead of a framing, a cork and a copy per subscriber.
      const socket = res.chunkedEncoding ? res.socket : null;
      const out = socket ?? res;
      let closed = false;
      let lastSentId = start.kind === "after-id" ? start.id : 0;
      let replaying = start.kind !== "live";
      const buffered: BusMessage[] = [];

      const write = (message: StoredMessage, live: boolean): void => {
        if (closed || message.id <= lastSentId) return;
        lastSentId = message.id;
        const framed = framedEvent(message);
        if (socket !== null) socket.write(framed.chunk);
        else res.write(framed.text);
        metrics.eventsDelivered++;
        if (live) metrics.observeDeliveryLatency((context.now() - message.timeMs) / 1000);
        if (live && out.writableLength > MAX_BUFFERED_BYTES) {
          request.log.warn({ channel }, "subscriber too slow: disconnecting");
          res.destroy();
        }
      };

      // Subscribe before reading the cache: whatever commits meanwhile is buffered, and duplicates are dropped by id.
      let unsubscribe: () => Promise<void>;
      try {
        unsubscribe = await bus.subscribe(channel, (message) => {
          if (replaying) buffered.push(message);
          else write(message, true);
        });
      } catch (error) {
        // A shared bus needs the database to subscribe; the client retries (EventSource does by itself).
        request.log.error({ err: error, channel }, "subscribing failed");
        streams.delete(res);
        res.destroy();
        return;
      }
      if (res.destroyed) {
        // The client left while the subscription was being made: "close" has already fired.
        streams.delete(res);
        void unsubscribe();
        return;
      }
      // Written once the subscription is active: a client that waits for it misses no live message.
      res.write(": connected\n\n");
      const heartbeat = setInterval(() => {
        if (!closed) res.write(": heartbeat\n\n");
      }, config.heartbeatIntervalMs);
      heartbeat.unref();

      const cleanup = (): void => {
        if (closed) return;
        closed = true;
        clearInterval(heartbeat);
        streams.delete(res);
        void unsubscribe();
      };
      res.on("close", cleanup);
      res.on("error", cleanup);

      if (start.kind !== "live") {
        try {
          let query: MessageQuery =
            start.kind === "since-time" ? { sinceMs: start.timeMs, limit: REPLAY_PAGE } : { afterId: start.id, limit: REPLAY_PAGE };
          while (!closed) {
            const page = await storage.listMessages(channel, query);
            for (const message of page) write(message, false);
            // A long replay goes at the subscriber's pace instead of piling up in memory.
            if (out.writableNeedDrain && !closed) await drained(out);
            if (page.length < REPLAY_PAGE) break;
            query = { afterId: lastSentId, limit: REPLAY_PAGE };
          }
        } catch (error) {
          request.log.error({ err: error, channel }, "replaying the cache failed");
          res.destroy();
          cleanup();
          return;
        }
        replaying = false;
        for (const message of buffered) write(message, true);
        buffered.length = 0;
      }
    },
  );
}
