/**
 * The HTTP routes a web app uses to receive Web Push (the paths
 * `packages/web/src/app/web-push.ts` calls):
 *
 * - `GET /v1/webpush/public-key` -> `{"publicKey": "<VAPID key, base64url>"}`
 * - `POST /v1/webpush/subscriptions` with
 *   `{"subscription": PushSubscription.toJSON(), "channels": ["538113b2_MyChannel", ...]}`:
 *   registers the browser for exactly these prefixed channels (again:
 *   replaces the list) -> `{"channels": [...]}`
 * - `DELETE /v1/webpush/subscriptions` with `{"endpoint": "...", "channels"?: [...]}`:
 *   removes those channels, or the whole subscription -> `{"removed": true|false}`
 *
 * Like reading a channel, subscribing needs no account: the envelope
 * protects the content. Input is checked strictly (a bad request changes
 * nothing), endpoints must belong to a known push service (the server
 * would otherwise post to any URL it is given), and changes are rate
 * limited per client address.
 *
 * @module
 */
import { ECDH } from "node:crypto";
import type { FastifyInstance, FastifyReply } from "fastify";
import type { ServerContext } from "../../extension.js";
import { checkWireChannel } from "../../http/send-frame.js";
import type { DeliveryStore } from "../delivery-store.js";
import type { VapidKeys } from "./vapid-keys.js";

/** Route paths. */
export const WEB_PUSH_PATHS = {
  publicKey: "/v1/webpush/public-key",
  subscriptions: "/v1/webpush/subscriptions",
} as const;

/** Settings of {@link registerWebPushRoutes}. */
export interface WebPushRoutesOptions {
  readonly store: DeliveryStore;
  readonly vapidKeys: VapidKeys;
  /** {@link ServerConfig.webPushEndpointHosts}-style list. */
  readonly endpointHosts: string;
  /** Most channels per subscription. @default 64 */
  readonly maxChannelsPerSubscription?: number;
  /** Most subscriptions stored. @default 100000 */
  readonly maxSubscriptions?: number;
  /** Subscription changes per client address per minute. @default 60 */
  readonly changesPerMinute?: number;
}

const MAX_ENDPOINT_LENGTH = 2048;

/** A request body problem: answered 400 with this text. */
class BadRequest extends Error {}

/**
 * Whether an endpoint URL may be used: HTTPS to a listed host (exact or
 * `*.` suffix, or `*` for any host), or exactly a listed `http://` origin.
 * URLs with credentials are refused.
 */
export function isAllowedEndpoint(endpoint: string, endpointHosts: string): boolean {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return false;
  }
  if (url.username !== "" || url.password !== "") return false;
  const entries = endpointHosts
    .split(",")
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e !== "");
  if (url.protocol === "http:") return entries.includes(url.origin.toLowerCase());
  if (url.protocol !== "https:") return false;
  const host = url.hostname.toLowerCase();
  return entries.some((entry) => {
    if (entry.includes("://")) return entry === url.origin.toLowerCase();
    if (entry === "*") return true;
    if (entry.startsWith("*.")) return host.endsWith(entry.slice(1)) && host.length > entry.length - 1;
    return host === entry;
  });
}

function decodeKey(value: unknown, name: string, length: number): string {
  if (typeof value !== "string" || !/^[A-Za-z0-9_-]+={0,2}$/.test(value)) throw new BadRequest(`keys.${name} must be base64url`);
  const bytes = Buffer.from(value.replace(/=+$/, ""), "base64url");
  if (bytes.length !== length) throw new BadRequest(`keys.${name} must be ${length} bytes`);
  return bytes.toString("base64url");
}

function onlyKeys(value: unknown, allowed: readonly string[], what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new BadRequest(`${what} must be a JSON object`);
  for (const key of Object.keys(value)) if (!allowed.includes(key)) throw new BadRequest(`${what} has an unknown field "${key}"`);
  return value as Record<string, unknown>;
}

function readChannels(value: unknown, maxChannelLength: number, maxChannels: number): string[] {
  if (!Array.isArray(value) || value.length === 0) throw new BadRequest("channels must be a non-empty array of prefixed channels");
  if (value.length > maxChannels) throw new BadRequest(`at most ${maxChannels} channels per subscription`);
  const channels = new Set<string>();
  for (const item of value) {
    if (typeof item !== "string") throw new BadRequest("channels must hold strings");
    const checked = checkWireChannel(item, maxChannelLength);
    if ("code" in checked) throw new BadRequest(`invalid channel: ${checked.reason}`);
    channels.add(checked.channel);
  }
  return [...channels].sort();
}

/**
 * Registers the Web Push routes.
 *
 * @example
 * registerWebPushRoutes(app, context, { store, vapidKeys, endpointHosts: config.webPushEndpointHosts });
 */
export function registerWebPushRoutes(app: FastifyInstance, context: ServerContext, options: WebPushRoutesOptions): void {
  const { store, vapidKeys } = options;
  const maxChannels = options.maxChannelsPerSubscription ?? 64;
  const maxSubscriptions = options.maxSubscriptions ?? 100_000;
  const changesPerMinute = options.changesPerMinute ?? 60;
  const maxChannelLength = context.config.maxChannelLength;

  const bad = (reply: FastifyReply, message: string): FastifyReply => reply.code(400).send({ error: message });
  const rateLimited = async (address: string): Promise<boolean> =>
    (await context.counters.increment(`webpush-changes:${address}`, 60_000)) > changesPerMinute;

  app.get(WEB_PUSH_PATHS.publicKey, async (_request, reply) =>
    reply.header("cache-control", "no-cache").send({ publicKey: vapidKeys.publicKey }),
  );

  app.post(WEB_PUSH_PATHS.subscriptions, async (request, reply) => {
    let endpoint: string;
    let p256dh: string;
    let auth: string;
    let channels: string[];
    try {
      const body = onlyKeys(request.body, ["subscription", "channels"], "the body");
      const subscription = onlyKeys(body.subscription, ["endpoint", "expirationTime", "keys"], "subscription");
      if (typeof subscription.endpoint !== "string" || subscription.endpoint.length > MAX_ENDPOINT_LENGTH) {
        throw new BadRequest(`subscription.endpoint must be a URL of at most ${MAX_ENDPOINT_LENGTH} characters`);
      }
      endpoint = subscription.endpoint;
      if (!isAllowedEndpoint(endpoint, options.endpointHosts)) {
        throw new BadRequest("subscription.endpoint is not on a push service this server is configured to use");
      }
      const keys = onlyKeys(subscription.keys, ["p256dh", "auth"], "subscription.keys");
      p256dh = decodeKey(keys.p256dh, "p256dh", 65);
      auth = decodeKey(keys.auth, "auth", 16);
      try {
        // The key is used for ECDH on every push; one that is not on the curve would fail each time.
        ECDH.convertKey(Buffer.from(p256dh, "base64url"), "prime256v1");
      } catch {
        throw new BadRequest("keys.p256dh is not a P-256 public key");
      }
      channels = readChannels(body.channels, maxChannelLength, maxChannels);
    } catch (error) {
      if (error instanceof BadRequest) return bad(reply, error.message);
      throw error;
    }
    if (await rateLimited(request.ip)) return reply.code(429).send({ error: "too many subscription changes; try again later" });
    if ((await store.webPushChannels(endpoint)) === undefined && (await store.countWebPushSubscriptions()) >= maxSubscriptions) {
      return reply.code(503).send({ error: "this server holds as many push subscriptions as it is configured for" });
    }
    await store.putWebPushSubscription({ endpoint, p256dh, auth }, channels, context.now());
    return reply.send({ channels });
  });

  app.delete(WEB_PUSH_PATHS.subscriptions, async (request, reply) => {
    let endpoint: string;
    let channels: string[] | undefined;
    try {
      const body = onlyKeys(request.body, ["endpoint", "channels"], "the body");
      if (typeof body.endpoint !== "string" || body.endpoint.length > MAX_ENDPOINT_LENGTH) {
        throw new BadRequest("endpoint must be a string");
      }
      endpoint = body.endpoint;
      channels = body.channels === undefined ? undefined : readChannels(body.channels, maxChannelLength, maxChannels);
    } catch (error) {
      if (error instanceof BadRequest) return bad(reply, error.message);
      throw error;
    }
    if (await rateLimited(request.ip)) return reply.code(429).send({ error: "too many subscription changes; try again later" });
    return reply.send({ removed: await store.removeWebPushSubscription(endpoint, channels) });
  });
}
