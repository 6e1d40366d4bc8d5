/**
 * The service worker: keeps the app shell for offline start, and receives
 * Web Push while no page is open. The push data is the server's event JSON
 * (`{"id","time","channel","payload"}`); it is decrypted here with the
 * secret stored in this browser, kept in the history, and shown as a
 * notification that opens the entry when tapped.
 *
 * @module
 */

import type { WorkerMessage } from "../shared/messages.js";
import { EventOpener, subscriptions } from "../shared/opener.js";
import { type HistoryRecord, type NotificationContent, notificationContent, recordKey } from "../shared/records.js";
import { Store } from "../shared/store.js";
import { fetchEventData } from "./fetch-event.js";
import { type NotificationEvent, type PushEvent, worker } from "./worker-scope.js";

/** Set by the build: a hash of the shell files, and their paths relative to the scope. */
declare const __SHELL_VERSION__: string;
declare const __SHELL_FILES__: readonly string[];

const CACHE = `shell-${__SHELL_VERSION__}`;
const scopeUrl = (path: string): string => new URL(path, worker.registration.scope).toString();
const shellUrls = new Set(__SHELL_FILES__.map(scopeUrl));

worker.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // Bypass the HTTP cache so a new version never precaches stale files.
      await cache.addAll([...shellUrls].map((url) => new Request(url, { cache: "reload" })));
      await worker.skipWaiting();
    })(),
  );
});

worker.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) if (name.startsWith("shell-") && name !== CACHE) await caches.delete(name);
      await worker.clients.claim();
    })(),
  );
});

worker.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  // Pages of the app are the shell's index.html; everything else of the shell by its URL.
  const url = new URL(request.url);
  url.search = "";
  url.hash = "";
  const key = request.mode === "navigate" && url.toString() === worker.registration.scope ? scopeUrl("index.html") : url.toString();
  if (!shellUrls.has(key)) return; // event streams, API calls: straight to the network
  event.respondWith(
    (async () => {
      const cached = await caches.match(key, { cacheName: CACHE });
      return cached ?? fetch(request);
    })(),
  );
});

async function show(content: NotificationContent, triggered: boolean): Promise<void> {
  const options: NotificationOptions & { vibrate?: number[] } = {
    body: content.body,
    tag: content.tag,
    data: { url: content.url },
    icon: scopeUrl("icons/icon-192.png"),
    badge: scopeUrl("icons/icon-192.png"),
    requireInteraction: content.requireInteraction,
    // Triggered alarms buzz in a longer, insistent pattern.
    ...(triggered ? { vibrate: [300, 100, 300, 100, 300] } : { vibrate: [100] }),
  };
  await worker.registration.showNotification(content.title, options);
}

async function tellPages(message: WorkerMessage): Promise<void> {
  for (const client of await worker.clients.matchAll({ type: "window", includeUncontrolled: true })) client.postMessage(message);
}

/** Reads the push data: the server's event JSON, perhaps without its payload (see fetch-event.ts). */
function readPush(text: string | undefined): { channel: string; id: string; hasPayload: boolean } | undefined {
  try {
    const value = JSON.parse(text ?? "") as { channel?: unknown; id?: unknown; payload?: unknown };
    const id = typeof value.id === "number" ? String(value.id) : value.id;
    if (typeof value.channel !== "string" || typeof id !== "string") return undefined;
    return { channel: value.channel, id, hasPayload: typeof value.payload === "string" };
  } catch {
    return undefined;
  }
}

/** Opens one push message; the worker must show a notification for every push, so failures become one too. */
let storeOpening: Promise<Store> | undefined;
/** One database connection for the worker's lifetime; a failed open is retried on the next push. */
function openStore(): Promise<Store> {
  storeOpening ??= Store.open().catch((error: unknown) => {
    storeOpening = undefined;
    throw error;
  });
  return storeOpening;
}

async function handlePush(text: string | undefined): Promise<void> {
  const store = await openStore();
  const settings = await store.getSettings();
  const push = readPush(text);
  const subscribed = settings === undefined ? [] : await subscriptions(settings);
  if (settings === undefined || push === undefined || !subscribed.some((s) => s.prefixed === push.channel)) {
    await worker.registration.showNotification("Lightweight Push", {
      body: "A push arrived for a channel this browser is not set up for.",
    });
    return;
  }
  const data = push.hasPayload ? text : await fetchEventData(settings.serverUrl, push.channel, push.id);
  const record: HistoryRecord | undefined = data === undefined ? undefined : await new EventOpener(settings).open(data, push.channel);
  if (record === undefined) {
    await worker.registration.showNotification("Lightweight Push", {
      body: "A new message arrived but could not be loaded. Open the app to see it.",
      tag: recordKey(push.channel, push.id),
      data: { url: "./" },
    });
    return;
  }
  if (await store.addRecord(record)) await tellPages({ type: "history-changed" });
  // Shown even when the page already has it: the tag makes it replace, not duplicate.
  await show(notificationContent(record), record.kind === "message" && record.payload.is_sa && record.payload.st === 1);
}

worker.addEventListener("push", (event: PushEvent) => {
  event.waitUntil(handlePush(event.data?.text()));
});

/** Whether `url` is the app itself (any view), rather than another page of the site. */
function isAppPage(url: string): boolean {
  const page = new URL(url);
  page.search = "";
  page.hash = "";
  return page.toString() === worker.registration.scope || page.toString() === scopeUrl("index.html");
}

worker.addEventListener("notificationclick", (event: NotificationEvent) => {
  event.notification.close();
  const data = event.notification.data as { url?: unknown } | null;
  const target = scopeUrl(typeof data?.url === "string" ? data.url : "./");
  event.waitUntil(
    (async () => {
      // Any page of the site is a window client (the scope is the site's root); only the app's own pages can show the entry.
      const pages = (await worker.clients.matchAll({ type: "window", includeUncontrolled: true })).filter((p) => isAppPage(p.url));
      const page = pages.find((p) => p.focused) ?? pages[0];
      if (page) {
        const key = decodeURIComponent(new URL(target).hash.replace(/^#\/message\//, ""));
        page.postMessage({ type: "open-entry", key } satisfies WorkerMessage);
        await page.focus();
        return;
      }
      await worker.clients.openWindow(target);
    })(),
  );
});
