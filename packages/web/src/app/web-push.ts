/**
 * Web Push subscription, so the service worker is woken for messages while
 * no page is open. This is the only module that knows the server's Web
 * Push routes: fetch the VAPID public key, subscribe with the browser's
 * push service, and register the subscription for the prefixed channels.
 * Nothing secret is sent: the server learns the channels it already
 * relays and the browser's push endpoint.
 *
 * @module
 */
import { fromBase64Url } from "lightweightpush/protocol";

/** The server's Web Push routes, relative to its base URL. */
export const WEB_PUSH_ROUTES = {
  publicKey: "v1/webpush/public-key",
  subscriptions: "v1/webpush/subscriptions",
} as const;

/** Whether this browser can receive Web Push at all. */
export function webPushSupported(): boolean {
  return "serviceWorker" in navigator && "PushManager" in globalThis && "Notification" in globalThis;
}

function route(serverUrl: string, path: string): string {
  return new URL(path, serverUrl).toString();
}

async function checkedFetch(url: string, init?: RequestInit): Promise<Response> {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`The server answered ${response.status} ${response.statusText}.`);
  return response;
}

/** Reads the server's VAPID public key (base64url, uncompressed P-256 point). */
export async function fetchPublicKey(serverUrl: string): Promise<Uint8Array> {
  const body = (await (await checkedFetch(route(serverUrl, WEB_PUSH_ROUTES.publicKey))).json()) as { publicKey?: unknown };
  if (typeof body.publicKey !== "string") throw new Error("The server has no Web Push key.");
  return fromBase64Url(body.publicKey);
}

/** This browser's push subscription, if there is one. */
export async function currentSubscription(registration: ServiceWorkerRegistration): Promise<PushSubscription | null> {
  return registration.pushManager.getSubscription();
}

/**
 * Subscribes this browser and registers it with the server for
 * `prefixedChannels` (registering again replaces the channel list).
 */
export async function enableWebPush(
  registration: ServiceWorkerRegistration,
  serverUrl: string,
  prefixedChannels: readonly string[],
): Promise<void> {
  let subscription = await currentSubscription(registration);
  if (subscription === null) {
    const applicationServerKey = (await fetchPublicKey(serverUrl)) as Uint8Array<ArrayBuffer>;
    subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey });
  }
  await checkedFetch(route(serverUrl, WEB_PUSH_ROUTES.subscriptions), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ subscription: subscription.toJSON(), channels: prefixedChannels }),
  });
}

/** Unregisters this browser at the server and drops the subscription. */
export async function disableWebPush(registration: ServiceWorkerRegistration, serverUrl: string): Promise<void> {
  const subscription = await currentSubscription(registration);
  if (subscription === null) return;
  try {
    await checkedFetch(route(serverUrl, WEB_PUSH_ROUTES.subscriptions), {
      method: "DELETE",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ endpoint: subscription.endpoint }),
    });
  } finally {
    // Even if the server is unreachable, stop receiving here; the server prunes it on its next 404/410.
    await subscription.unsubscribe();
  }
}
