/**
 * How other parts of the server plug in: delivery paths (FCM, Web Push)
 * register routes and receive every accepted message once it is durable;
 * read authorization decides who may subscribe to a channel.
 *
 * @module
 */
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from "fastify";
import type { Counters, NowMs } from "./auth/counters.js";
import type { ServerConfig } from "./config/config.js";
import type { MessageBus } from "./fanout/bus.js";
import type { Storage, StoredMessage } from "./storage/storage.js";

/** What the composition root hands to extensions and routes. */
export interface ServerContext {
  readonly config: ServerConfig;
  readonly storage: Storage;
  readonly bus: MessageBus;
  readonly counters: Counters;
  /** The server's clock, unix ms. */
  readonly now: NowMs;
  readonly log: FastifyBaseLogger;
}

/** A message that has just been accepted and is durable. */
export interface AcceptedMessage extends StoredMessage {
  /** The account that sent it. */
  readonly username: string;
}

/**
 * A part of the server added at composition time.
 *
 * @example
 * const webPush: ServerExtension = {
 *   name: "web-push",
 *   register(app, context) { app.post("/v1/webpush/subscriptions", handler); },
 *   onAccepted(message) { queueDelivery(message); },
 * };
 * const server = await createServer(config, { extensions: [webPush] });
 */
export interface ServerExtension {
  /** Name for logs. */
  readonly name: string;
  /** Adds routes, hooks or content-type parsers; runs once before the server is ready. */
  register?(app: FastifyInstance, context: ServerContext): void | Promise<void>;
  /**
   * Called with every accepted message after it is durable, in commit
   * order, without delaying the sender's answer. Errors are logged, never
   * propagated; the extension owns its own retries.
   */
  onAccepted?(message: AcceptedMessage): void | Promise<void>;
  /**
   * Called synchronously for every send that passed the protocol checks,
   * before it is stored; a returned refusal is answered instead of storing
   * (e.g. code 4 from FCM delivery for a message that cannot fit FCM's
   * 4096-byte limit). Must be cheap: it runs on the send path.
   */
  checkMessage?(channel: string, payload: string): { readonly code: number; readonly reason: string } | undefined;
  /** Extra lines in the Prometheus text format for `GET /metrics` (with their `# HELP`/`# TYPE`). */
  renderMetrics?(): string;
  /** Called on shutdown after the last message was handed over. */
  close?(): Promise<void>;
}

/**
 * Decides whether a request may read a channel's events. The default
 * allows everyone, as the original service does (the envelope protects the
 * content); per-account read tokens plug in here.
 */
export type ReadAuthorizer = (request: FastifyRequest, channel: string) => boolean | Promise<boolean>;

/** The default {@link ReadAuthorizer}: reading needs no credentials. */
export const allowAllReaders: ReadAuthorizer = () => true;
