/**
 * The web app's entry point: wires the store, the live streams, the views
 * and the service worker together.
 *
 * @module
 */
import type { WorkerMessage } from "../shared/messages.js";
import { type ChannelSubscription, subscriptions } from "../shared/opener.js";
import { compareNewestFirst, type HistoryRecord, notificationContent } from "../shared/records.js";
import { parseSettings, type Settings, type SettingsInput } from "../shared/settings.js";
import { Store } from "../shared/store.js";
import { type ChannelStatus, LiveStreams } from "./live-stream.js";
import { renderDetail, renderEntry, renderList } from "./render.js";
import { currentSubscription, disableWebPush, enableWebPush, webPushSupported } from "./web-push.js";

function byId<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`missing #${id}`);
  return node as T;
}

const ui = {
  status: byId<HTMLElement>("status"),
  listView: byId<HTMLElement>("list-view"),
  detailView: byId<HTMLElement>("detail-view"),
  settingsView: byId<HTMLElement>("settings-view"),
  list: byId<HTMLOListElement>("messages"),
  empty: byId<HTMLElement>("empty"),
  count: byId<HTMLElement>("count"),
  detail: byId<HTMLElement>("detail"),
  form: byId<HTMLFormElement>("settings-form"),
  serverUrl: byId<HTMLInputElement>("server-url"),
  username: byId<HTMLInputElement>("username"),
  channels: byId<HTMLInputElement>("channels"),
  sharedSecret: byId<HTMLInputElement>("shared-secret"),
  toggleSecret: byId<HTMLButtonElement>("toggle-secret"),
  cancelSettings: byId<HTMLAnchorElement>("cancel-settings"),
  enableNotifications: byId<HTMLButtonElement>("enable-notifications"),
  clearHistory: byId<HTMLButtonElement>("clear-history"),
  confirmClear: byId<HTMLDialogElement>("confirm-clear"),
  toggleWebPush: byId<HTMLButtonElement>("toggle-web-push"),
  webPushStatus: byId<HTMLElement>("web-push-status"),
};

/**
 * Messages from the service worker, listened to from the first moment:
 * one that arrives while the app is still opening its store is kept until
 * the app can handle it, instead of being lost.
 */
const workerMessages = (() => {
  const early: WorkerMessage[] = [];
  let handler: ((message: WorkerMessage) => void) | undefined;
  navigator.serviceWorker?.addEventListener("message", (event: MessageEvent<WorkerMessage>) => {
    if (typeof event.data?.type !== "string") return;
    if (handler) handler(event.data);
    else early.push(event.data);
  });
  return {
    handle(next: (message: WorkerMessage) => void): void {
      handler = next;
      for (const message of early.splice(0)) next(message);
    },
  };
})();

const FIELDS: readonly (keyof SettingsInput)[] = ["serverUrl", "username", "channels", "sharedSecret"];
const FIELD_IDS: Readonly<Record<keyof SettingsInput, string>> = {
  serverUrl: "server-url",
  username: "username",
  channels: "channels",
  sharedSecret: "shared-secret",
};

class App {
  #settings: Settings | undefined;
  #channels: ChannelSubscription[] = [];
  #streams: LiveStreams | undefined;
  readonly #statuses = new Map<string, ChannelStatus>();
  #records = new Map<string, HistoryRecord>();

  constructor(
    private readonly store: Store,
    private readonly registration: Promise<ServiceWorkerRegistration | undefined>,
  ) {}

  async start(): Promise<void> {
    this.#settings = await this.store.getSettings();
    await this.reloadHistory();
    this.bindEvents();
    if (this.#settings === undefined) {
      if (location.hash !== "#/settings") location.hash = "#/settings";
    } else {
      await this.connect(this.#settings);
    }
    this.route();
    this.updateNotificationButton();
  }

  bindEvents(): void {
    window.addEventListener("hashchange", () => this.route());
    ui.form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.saveSettings();
    });
    ui.toggleSecret.addEventListener("click", () => {
      const show = !ui.sharedSecret.classList.toggle("masked");
      ui.toggleSecret.textContent = show ? "Hide" : "Show";
      ui.toggleSecret.setAttribute("aria-pressed", String(show));
    });
    ui.enableNotifications.addEventListener("click", () => {
      void Notification.requestPermission().then(() => this.updateNotificationButton());
    });
    ui.clearHistory.addEventListener("click", () => ui.confirmClear.showModal());
    ui.confirmClear.addEventListener("close", () => {
      if (ui.confirmClear.returnValue === "clear") void this.clearHistory();
    });
    ui.toggleWebPush.addEventListener("click", () => void this.toggleWebPush());
    workerMessages.handle((message) => {
      if (message.type === "history-changed") void this.reloadHistory();
      else if (message.type === "open-entry") location.hash = message.key ? `#/message/${encodeURIComponent(message.key)}` : "#/";
    });
  }

  /** The key of the entry the address shows, if it is a detail view. */
  detailKey(): string | undefined {
    const hash = location.hash;
    return hash.startsWith("#/message/") ? decodeURIComponent(hash.slice("#/message/".length)) : undefined;
  }

  route(): void {
    const detailKey = this.detailKey();
    const view = location.hash === "#/settings" ? "settings" : detailKey !== undefined ? "detail" : "list";
    ui.listView.hidden = view !== "list";
    ui.detailView.hidden = view !== "detail";
    ui.settingsView.hidden = view !== "settings";
    if (view === "settings") this.fillSettingsForm();
    if (detailKey !== undefined) renderDetail(ui.detail, this.#records.get(detailKey));
    ui.cancelSettings.hidden = this.#settings === undefined;
    window.scrollTo(0, 0);
  }

  fillSettingsForm(): void {
    const s = this.#settings;
    ui.serverUrl.value = s?.serverUrl ?? new URL("./", location.href).toString();
    ui.username.value = s?.username ?? "";
    ui.channels.value = s?.channels.join(", ") ?? "";
    ui.sharedSecret.value = s?.sharedSecret ?? "";
    for (const field of FIELDS) this.showFieldError(field, undefined);
    void this.updateWebPushStatus();
  }

  showFieldError(field: keyof SettingsInput, message: string | undefined): void {
    const input = byId<HTMLInputElement>(FIELD_IDS[field]);
    byId<HTMLElement>(`${FIELD_IDS[field]}-error`).textContent = message ?? "";
    if (message === undefined) input.removeAttribute("aria-invalid");
    else input.setAttribute("aria-invalid", "true");
  }

  async saveSettings(): Promise<void> {
    const parsed = parseSettings({
      serverUrl: ui.serverUrl.value,
      username: ui.username.value,
      channels: ui.channels.value,
      sharedSecret: ui.sharedSecret.value,
    });
    for (const field of FIELDS) this.showFieldError(field, parsed.ok ? undefined : parsed.errors[field]);
    if (!parsed.ok) return;
    await this.store.saveSettings(parsed.settings);
    this.#settings = parsed.settings;
    await this.connect(parsed.settings);
    location.hash = "#/";
    void this.syncWebPushChannels(parsed.settings);
  }

  /** Keeps the server's Web Push registration in step with the channel list. */
  async syncWebPushChannels(settings: Settings): Promise<void> {
    const registration = await this.registration;
    if (!registration || !webPushSupported() || !(await currentSubscription(registration))) return;
    await enableWebPush(
      registration,
      settings.serverUrl,
      this.#channels.map((c) => c.prefixed),
    ).catch(() => undefined);
  }

  async connect(settings: Settings): Promise<void> {
    this.#streams?.stop();
    this.#statuses.clear();
    this.#channels = await subscriptions(settings);
    for (const channel of this.#channels) this.#statuses.set(channel.prefixed, "connecting");
    this.renderStatus();
    this.#streams = new LiveStreams(settings, this.#channels, this.store, {
      onRecord: (record) => this.addRecord(record),
      onStatus: (channel, status) => {
        this.#statuses.set(channel.prefixed, status);
        this.renderStatus();
      },
    });
    await this.#streams.start();
  }

  renderStatus(): void {
    const values = [...this.#statuses.values()];
    const state =
      values.length === 0
        ? "off"
        : values.every((v) => v === "live")
          ? "live"
          : values.includes("reconnecting")
            ? "reconnecting"
            : "connecting";
    ui.status.dataset.state = state;
    ui.status.textContent = { off: "Not set up", live: "Live", connecting: "Connecting\u2026", reconnecting: "Reconnecting\u2026" }[state];
    ui.status.title = this.#channels.map((c) => `${c.name}: ${this.#statuses.get(c.prefixed) ?? "off"}`).join("\n");
  }

  async reloadHistory(): Promise<void> {
    this.#records = new Map((await this.store.allRecords()).map((r) => [r.key, r]));
    this.renderHistory();
    // A tapped notification can open an entry the worker stored a moment before this page loaded it.
    const detailKey = this.detailKey();
    if (detailKey !== undefined) renderDetail(ui.detail, this.#records.get(detailKey));
  }

  sortedRecords(): HistoryRecord[] {
    return [...this.#records.values()].sort(compareNewestFirst);
  }

  renderHistory(): void {
    const records = this.sortedRecords();
    renderList(ui.list, records);
    this.renderCount(records.length);
  }

  renderCount(count: number): void {
    ui.empty.hidden = count > 0;
    ui.count.textContent = count > 0 ? `(${count})` : "";
    ui.clearHistory.disabled = count === 0;
  }

  addRecord(record: HistoryRecord): void {
    this.#records.set(record.key, record);
    // Insert in place rather than re-rendering: a live list can be long.
    const records = this.sortedRecords();
    const index = records.findIndex((r) => r.key === record.key);
    const next = records[index + 1];
    const before = next ? ui.list.querySelector(`li[data-key="${CSS.escape(next.key)}"]`) : null;
    ui.list.insertBefore(renderEntry(record), before);
    this.renderCount(records.length);
    if (this.detailKey() === record.key) renderDetail(ui.detail, record);
    void this.notify(record);
  }

  async notify(record: HistoryRecord): Promise<void> {
    if (!("Notification" in window) || Notification.permission !== "granted" || document.visibilityState === "visible") return;
    const content = notificationContent(record);
    const options: NotificationOptions = { body: content.body, tag: content.tag, data: { url: content.url }, icon: "icons/icon-192.png" };
    const registration = await this.registration;
    if (registration) await registration.showNotification(content.title, { ...options, requireInteraction: content.requireInteraction });
    else new Notification(content.title, options);
  }

  updateNotificationButton(): void {
    ui.enableNotifications.hidden = !("Notification" in window) || Notification.permission !== "default";
  }

  async clearHistory(): Promise<void> {
    await this.store.clearHistory();
    this.#records.clear();
    this.renderHistory();
  }

  async updateWebPushStatus(): Promise<void> {
    const registration = await this.registration;
    if (!registration || !webPushSupported()) {
      ui.toggleWebPush.disabled = true;
      ui.webPushStatus.textContent = "This browser cannot receive Web Push.";
      return;
    }
    const subscribed = (await currentSubscription(registration)) !== null;
    ui.toggleWebPush.disabled = this.#settings === undefined;
    ui.toggleWebPush.textContent = subscribed ? "Stop receiving while closed" : "Receive while closed";
    ui.webPushStatus.textContent = subscribed
      ? "On: this browser is woken for new messages."
      : "Off: messages arrive only while the app is open.";
  }

  async toggleWebPush(): Promise<void> {
    const registration = await this.registration;
    const settings = this.#settings;
    if (!registration || !settings) return;
    ui.toggleWebPush.disabled = true;
    try {
      if (await currentSubscription(registration)) {
        await disableWebPush(registration, settings.serverUrl);
      } else {
        if ((await Notification.requestPermission()) !== "granted") throw new Error("Notifications are not allowed for this site.");
        await enableWebPush(
          registration,
          settings.serverUrl,
          this.#channels.map((c) => c.prefixed),
        );
      }
      await this.updateWebPushStatus();
    } catch (error) {
      ui.toggleWebPush.disabled = false;
      ui.webPushStatus.textContent = `Could not change Web Push: ${error instanceof Error ? error.message : String(error)}`;
    }
    this.updateNotificationButton();
  }
}

/** How long to wait for the service worker to become active before going on without it. */
const WORKER_READY_TIMEOUT_MS = 15_000;

async function registerWorker(): Promise<ServiceWorkerRegistration | undefined> {
  if (!("serviceWorker" in navigator)) return undefined;
  try {
    await navigator.serviceWorker.register("./sw.js");
    // `ready` never settles when installing fails; do not let that stall notifications or settings.
    const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), WORKER_READY_TIMEOUT_MS));
    return await Promise.race([navigator.serviceWorker.ready, timeout]);
  } catch {
    // Without a worker the app still works while open; only offline start and Web Push are lost.
    return undefined;
  }
}

const app = new App(await Store.open(), registerWorker());
await app.start();
document.documentElement.dataset.ready = "true";
