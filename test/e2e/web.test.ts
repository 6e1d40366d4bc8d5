/**
 * The web app end to end in real headless Chromium: settings, live
 * decryption of envelope v1 and v2, state marking, history across reloads,
 * resuming missed messages, error entries, a phone-sized layout, the
 * service worker's push handling and offline start.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { createServer, hashPassword, type PushServer, resolveConfig } from "lightweight-push-server";
import { LightweightPush, nodeCryptoBackend, prefixedChannel, sealMessage, secureRandom } from "lightweightpush";
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from "playwright-core";
import { CHROMIUM_ARGS, CHROMIUM_EXECUTABLE, poll, WAIT_MS } from "./support/browser.js";

const root = new URL("../..", import.meta.url).pathname;
const distDir = join(root, "packages/web/dist");
const artifactsDir = join(root, "test-artifacts/web");

const USERNAME = "alice@example.org";
const PASSWORD = "account password";
const SECRET = "correct horse battery staple";

/** The real push server on a temporary data directory, serving the built app. */
class TestServer {
  #server: PushServer | undefined;
  #port = 0;
  baseUrl = "";

  private constructor(readonly dataDir: string) {}

  static async start(): Promise<TestServer> {
    const server = new TestServer(await mkdtemp(join(tmpdir(), "lwp-web-")));
    await server.restart();
    await server.context.storage.addAccount({ username: USERNAME, passwordHash: await hashPassword(PASSWORD, 4), createdAtMs: Date.now() });
    return server;
  }

  get context(): PushServer["context"] {
    if (!this.#server) throw new Error("server not running");
    return this.#server.context;
  }

  /** Starts (again) on the same port and data directory. */
  async restart(): Promise<void> {
    const config = resolveConfig({
      host: "127.0.0.1",
      port: this.#port,
      dataDir: this.dataDir,
      webRoot: distDir,
      logLevel: "warn",
      bcryptCost: 4,
      accountSendsPerWindow: 0,
      addressSendsPerWindow: 0,
    });
    this.#server = await createServer(config, { logStream: new Writable({ write: (_chunk, _encoding, done) => done() }) });
    this.baseUrl = await this.#server.listen();
    this.#port = Number(new URL(this.baseUrl).port);
  }

  async stop(): Promise<void> {
    await this.#server?.close();
    this.#server = undefined;
  }

  async cleanup(): Promise<void> {
    await this.stop();
    await rm(this.dataDir, { recursive: true, force: true });
  }

  /** The newest stored message of a wire channel, as the SSE stream and Web Push carry it. */
  async lastEvent(channel: string): Promise<{ id: string; time: number; channel: string; payload: string }> {
    const messages = await this.context.storage.listMessages(channel, { afterId: 0, limit: 1000 });
    const m = messages.at(-1);
    if (!m) throw new Error("no message stored");
    return { id: String(m.id), time: Math.floor(m.timeMs / 1000), channel: m.channel, payload: m.payload };
  }
}

let server: TestServer;
let browser: Browser;

async function send(
  subject: string,
  text: string,
  channel: string,
  options: { envelope: 1 | 2; state?: 0 | 1; secret?: string; timeTriggered?: number },
): Promise<void> {
  const push = new LightweightPush(USERNAME, PASSWORD, options.secret ?? SECRET, {
    endpoint: `${server.baseUrl}/push/send.php`,
    envelope: options.envelope,
  });
  await push.sendMsg(subject, text, channel, { state: options.state, timeTriggered: options.timeTriggered, maxRetries: 0 });
}

async function newPage(
  viewport = { width: 1100, height: 800 },
  extra: Parameters<Browser["newContext"]>[0] = {},
): Promise<[BrowserContext, Page]> {
  const context = await browser.newContext({ viewport, ...extra });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  return [context, page];
}

/** Channels of one test, so that tests never see each other's messages. */
interface TestChannels {
  readonly door: string;
  readonly window: string;
}
let channelSets = 0;

/** Opens the app on a fresh profile and fills in the settings form with two new channels. */
async function configure(page: Page, secret = SECRET): Promise<TestChannels> {
  channelSets++;
  const channels = { door: `door-${channelSets}`, window: `window-${channelSets}` };
  await page.goto(`${server.baseUrl}/`);
  await page.locator("#settings-view").waitFor({ state: "visible" });
  assert.equal(await page.inputValue("#server-url"), `${server.baseUrl}/`, "the server defaults to the page's origin");
  await page.fill("#username", USERNAME);
  await page.fill("#channels", `${channels.door}, ${channels.window}`);
  await page.fill("#shared-secret", secret);
  await page.click("#save-settings");
  await waitLive(page);
  return channels;
}

async function waitLive(page: Page): Promise<void> {
  await page.locator('#status[data-state="live"]').waitFor();
}

/** The text content of the first match. */
async function text(locator: Locator): Promise<string> {
  return (await locator.first().textContent()) ?? "";
}

function entry(page: Page, subject: string) {
  return page.locator("li.entry", { has: page.locator(".subject", { hasText: subject }) });
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(artifactsDir, `${name}.png`), fullPage: true });
}

describe("web app in headless Chromium", { timeout: 240_000 }, () => {
  before(async () => {
    execFileSync(process.execPath, [join(root, "packages/web/scripts/build.mjs")], { stdio: "ignore" });
    await mkdir(artifactsDir, { recursive: true });
    server = await TestServer.start();
    browser = await chromium.launch({ executablePath: CHROMIUM_EXECUTABLE, args: CHROMIUM_ARGS, timeout: 60_000 });
  });

  after(async () => {
    await browser?.close();
    await server?.cleanup();
  });

  it("decrypts v1 and v2 messages live, marks states, keeps history over a reload and resumes missed messages", async () => {
    const [context, page] = await newPage();
    // Every request the page and its worker make, to check the secret never leaves the browser.
    const requests: string[] = [];
    context.on("request", (request) =>
      requests.push(`${request.url()}\n${JSON.stringify(request.headers())}\n${request.postData() ?? ""}`),
    );
    try {
      const ch = await configure(page);
      const tt = Math.floor(Date.now() / 1000) - 90;
      await send("Front door opened", "Sensor 3 triggered at the front door", ch.door, { envelope: 1, state: 1, timeTriggered: tt });
      await send("Window closed", "Living room window is closed again", ch.window, { envelope: 2, state: 0 });
      await send("Daily report", "All systems nominal.\nSecond line.", ch.door, { envelope: 2 });

      const triggered = entry(page, "Front door opened");
      const normal = entry(page, "Window closed");
      const plain = entry(page, "Daily report");
      await plain.waitFor();
      await triggered.waitFor();
      await normal.waitFor();
      assert.equal(await triggered.getAttribute("data-state"), "triggered");
      assert.match(await text(triggered.locator(".badge")), /triggered/i, "triggered is labelled, not only coloured");
      assert.match(await text(triggered.locator(".text")), /Sensor 3 triggered at the front door/);
      assert.equal(await normal.getAttribute("data-state"), "normal");
      assert.match(await text(normal.locator(".badge")), /normal/i);
      assert.equal(await plain.getAttribute("data-state"), "none");
      const colour = (l: typeof triggered) => l.evaluate((el) => getComputedStyle(el).borderLeftColor);
      assert.notEqual(await colour(triggered), await colour(normal), "states also differ in colour");
      // Times shown: triggered, sent, received.
      assert.deepEqual(await triggered.locator(".times dt").allInnerTexts(), ["Triggered", "Sent", "Received"]);
      const triggeredIso = await triggered.locator(".times time").first().getAttribute("datetime");
      assert.equal(triggeredIso, new Date(tt * 1000).toISOString());
      // Newest first.
      assert.deepEqual(await page.locator("li.entry .subject").allInnerTexts(), ["Daily report", "Window closed", "Front door opened"]);
      await shot(page, "list-desktop");

      await page.reload();
      await waitLive(page);
      assert.deepEqual(await page.locator("li.entry .subject").allInnerTexts(), ["Daily report", "Window closed", "Front door opened"]);

      // Missed while closed: the page is gone, two messages are sent, the page comes back.
      await page.goto("about:blank");
      await send("Garage open", "Garage door left open", ch.door, { envelope: 2, state: 1 });
      await send("Window opened", "Bedroom window opened", ch.window, { envelope: 1, state: 0 });
      const streamUrls: string[] = [];
      page.on("request", (request) => {
        if (request.url().includes("/events")) streamUrls.push(request.url());
      });
      await page.goto(`${server.baseUrl}/`);
      await entry(page, "Garage open").waitFor();
      await entry(page, "Window opened").waitFor();
      assert.equal(streamUrls.length, 2);
      for (const url of streamUrls) assert.match(url, /\?since=\d+$/, "a reload resumes each channel from its stored id");
      // Every message exactly once.
      assert.deepEqual(await page.locator("li.entry .subject").allInnerTexts(), [
        "Window opened",
        "Garage open",
        "Daily report",
        "Window closed",
        "Front door opened",
      ]);

      // Detail view.
      await entry(page, "Front door opened").locator("a").click();
      const detail = page.locator("#detail");
      await detail.waitFor({ state: "visible" });
      assert.equal(await detail.getAttribute("data-state"), "triggered");
      assert.match(await text(detail), /Sensor 3 triggered at the front door/);
      assert.match(await text(detail), /Envelope v1/);
      assert.match(await text(detail), /door/);
      await shot(page, "detail-triggered");
      await page.click("a.back");
      await page.locator("#list-view").waitFor({ state: "visible" });

      // Clear history: asks first, then empties the list, and cleared messages do not come back on reload.
      await page.click("#clear-history");
      await page.click("#confirm-clear-yes");
      await page.locator("#empty").waitFor({ state: "visible" });
      assert.equal(await page.locator("li.entry").count(), 0);
      await page.reload();
      await waitLive(page);
      await send("After clearing", "Only this one", ch.window, { envelope: 2, state: 0 });
      await entry(page, "After clearing").waitFor();
      assert.equal(await page.locator("li.entry").count(), 1);
      assert.ok(requests.length > 10);
      for (const request of requests) assert.ok(!request.includes(SECRET) && !request.includes(encodeURIComponent(SECRET)), request);
    } finally {
      await context.close();
    }
  });

  it("reconnects after a server restart and shows what was sent meanwhile exactly once", async () => {
    const [context, page] = await newPage();
    try {
      const ch = await configure(page);
      await send("Before restart", "first", ch.door, { envelope: 2, state: 0 });
      await entry(page, "Before restart").waitFor();
      await server.stop();
      await page.locator('#status[data-state="reconnecting"]').waitFor();
      await server.restart();
      await send("After restart", "second", ch.door, { envelope: 2, state: 1 });
      // Nothing had arrived on this channel yet: it still gets what was sent while it was away.
      await send("Sent while away", "third", ch.window, { envelope: 1, state: 0 });
      await entry(page, "After restart").waitFor();
      await entry(page, "Sent while away").waitFor();
      await waitLive(page);
      assert.deepEqual(await page.locator("li.entry .subject").allInnerTexts(), ["Sent while away", "After restart", "Before restart"]);
    } finally {
      await context.close();
    }
  });

  it("shows an error entry, never a message, for a payload sealed with another secret", async () => {
    const [context, page] = await newPage();
    try {
      const ch = await configure(page);
      await send("Sealed with the wrong key", "should not be readable", ch.door, { envelope: 1, state: 1, secret: "another secret" });
      await send("Also wrong", "v2 with another secret", ch.window, { envelope: 2, secret: "another secret" });
      const markup = `<img src="x" onerror="document.title='injected'"> <b>bold</b>`;
      await send("Readable", `sealed with the right secret ${markup}`, ch.door, { envelope: 2, state: 0 });
      await entry(page, "Readable").waitFor();
      // Message text is shown as text, never interpreted as markup.
      assert.ok((await text(entry(page, "Readable").locator(".text"))).includes(markup));
      assert.equal(await entry(page, "Readable").locator("img, b").count(), 0);
      assert.equal(await page.title(), "Lightweight Push");
      await page.locator('li.entry[data-state="error"]').nth(1).waitFor();
      const errors = page.locator('li.entry[data-state="error"]');
      assert.equal(await errors.count(), 2);
      assert.match(await text(errors.first()), /could not be decrypted/i);
      const body = await text(page.locator("body"));
      assert.doesNotMatch(body, /should not be readable|Sealed with the wrong key|v2 with another secret/);
      await shot(page, "error-entries");
    } finally {
      await context.close();
    }
  });

  it("is usable on a phone-sized screen", async () => {
    const [context, page] = await newPage({ width: 390, height: 844 }, { isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    try {
      const ch = await configure(page);
      await send("Smoke alarm", "Kitchen smoke detector is ringing, please check immediately", ch.door, { envelope: 2, state: 1 });
      await send("Temperature normal", "Back to 21 °C", ch.window, { envelope: 1, state: 0 });
      await entry(page, "Smoke alarm").waitFor();
      await entry(page, "Temperature normal").waitFor();
      const layout = await page.evaluate(() => ({
        scrollWidth: document.documentElement.scrollWidth,
        innerWidth: window.innerWidth,
        entryWidths: Array.from(document.querySelectorAll("li.entry")).map((el) => el.getBoundingClientRect().width),
        clearButton: document.querySelector("#clear-history")?.getBoundingClientRect().toJSON() as DOMRect,
      }));
      assert.ok(layout.scrollWidth <= layout.innerWidth, `no sideways scrolling (${layout.scrollWidth} > ${layout.innerWidth})`);
      for (const width of layout.entryWidths) assert.ok(width > layout.innerWidth * 0.85, "entries use the screen's width");
      assert.ok(layout.clearButton.right <= layout.innerWidth && layout.clearButton.height >= 36, "buttons fit and are tappable");
      await shot(page, "list-phone");
      await page.goto(`${server.baseUrl}/#/settings`);
      await page.locator("#settings-view").waitFor({ state: "visible" });
      assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true);
      await shot(page, "settings-phone");

      // Changing the channel list takes effect at once: the new channel is live, the dropped one is not.
      await page.fill("#channels", `${ch.window}, ${ch.door}-extra`);
      await page.click("#save-settings");
      await page.locator("#list-view").waitFor({ state: "visible" });
      await waitLive(page);
      await send("On the new channel", "added in the settings", `${ch.door}-extra`, { envelope: 2, state: 0 });
      await send("On the dropped channel", "not subscribed any more", ch.door, { envelope: 2, state: 1 });
      await send("Still subscribed", "window stays", ch.window, { envelope: 1 });
      await entry(page, "On the new channel").waitFor();
      await entry(page, "Still subscribed").waitFor();
      assert.equal(await entry(page, "On the dropped channel").count(), 0);

      await page.emulateMedia({ colorScheme: "dark" });
      await shot(page, "list-phone-dark");
    } finally {
      await context.close();
    }
  });

  it("refuses bad settings with a message per field and saves nothing", async () => {
    const [context, page] = await newPage();
    try {
      await page.goto(`${server.baseUrl}/`);
      await page.locator("#settings-view").waitFor({ state: "visible" });
      await page.fill("#username", USERNAME);
      await page.fill("#channels", "door, front door!");
      await page.click("#save-settings");
      await page.locator("#channels-error", { hasText: "front door!" }).waitFor();
      await page.locator("#shared-secret-error", { hasText: "shared secret" }).waitFor();
      assert.equal(await page.getAttribute("#channels", "aria-invalid"), "true");
      assert.equal(await page.locator("#settings-view").isVisible(), true);
      assert.equal(await page.getAttribute("#status", "data-state"), "off");
      await page.reload();
      await page.locator("#settings-view").waitFor({ state: "visible" });
      assert.equal(await page.inputValue("#username"), "", "nothing was stored");
    } finally {
      await context.close();
    }
  });

  it("is an installable PWA: manifest, icons and a service worker that controls the page", async () => {
    const [context, page] = await newPage();
    try {
      await page.goto(`${server.baseUrl}/`);
      await poll(() => page.evaluate(() => navigator.serviceWorker.controller?.scriptURL));
      const cdp = await context.newCDPSession(page);
      const manifest = await cdp.send("Page.getAppManifest");
      assert.deepEqual(manifest.errors, []);
      const parsed = JSON.parse(manifest.data ?? "{}") as { name?: string; display?: string; icons?: { sizes: string }[] };
      assert.equal(parsed.name, "Lightweight Push");
      assert.equal(parsed.display, "standalone");
      assert.deepEqual(parsed.icons?.map((i) => i.sizes).sort(), ["192x192", "512x512", "512x512"]);
      const { installabilityErrors } = await cdp.send("Page.getInstallabilityErrors");
      // Test contexts are incognito profiles, where Chromium never installs; every other criterion must hold.
      assert.deepEqual(
        installabilityErrors.filter((e) => e.errorId !== "in-incognito"),
        [],
      );
      const icon = await fetch(`${server.baseUrl}/icons/icon-512.png`);
      assert.equal(icon.headers.get("content-type"), "image/png");
      assert.deepEqual([...new Uint8Array(await icon.arrayBuffer()).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    } finally {
      await context.close();
    }
  });

  it("service worker: decrypts a pushed message, stores it and shows a notification; the app starts without the server", async () => {
    const [context, page] = await newPage();
    try {
      await context.grantPermissions(["notifications"], { origin: server.baseUrl });
      const ch = await configure(page);
      await page.evaluate(async () => {
        await navigator.serviceWorker.ready;
      });
      const cdp = await context.newCDPSession(page);
      const registrationId = new Promise<string>((resolve) => {
        cdp.on("ServiceWorker.workerRegistrationUpdated", ({ registrations }) => {
          const found = registrations.find((r) => r.scopeURL === `${server.baseUrl}/` && !r.isDeleted);
          if (found) resolve(found.registrationId);
        });
      });
      await cdp.send("ServiceWorker.enable");
      const channel = await prefixedChannel(USERNAME, ch.door, nodeCryptoBackend);
      // The push data is the server's event JSON, exactly as the SSE stream carries it.
      await send("Pushed alarm", "Delivered by Web Push", ch.door, { envelope: 2, state: 1 });
      const pushed = await server.lastEvent(channel);
      // The page's own stream has it too: pushing the same event must not add a second entry.
      await entry(page, "Pushed alarm").waitFor();
      await cdp.send("ServiceWorker.deliverPushMessage", {
        origin: server.baseUrl,
        registrationId: await registrationId,
        data: JSON.stringify(pushed),
      });
      // An event only Web Push carries (not on the server), while the page is closed.
      await page.goto("about:blank");
      const now = Math.floor(Date.now() / 1000);
      const sealed = await sealMessage({ subject: "Only by push", message: "The page was closed", state: 0, timeTriggered: now }, now, {
        username: USERNAME,
        sharedSecret: SECRET,
        prefixedChannel: channel,
        envelope: 1,
        crypto: nodeCryptoBackend,
        random: secureRandom,
      });
      const second = { id: "900001", time: now, channel, payload: sealed.data };
      await cdp.send("ServiceWorker.deliverPushMessage", {
        origin: server.baseUrl,
        registrationId: await registrationId,
        data: JSON.stringify(second),
      });
      // A push without the payload (too big for the push service): the worker fetches the message from the server.
      await send("Fetched by the worker", "The push carried only the id", ch.door, { envelope: 2, state: 1 });
      const { payload: _left, ...withoutPayload } = await server.lastEvent(channel);
      await cdp.send("ServiceWorker.deliverPushMessage", {
        origin: server.baseUrl,
        registrationId: await registrationId,
        data: JSON.stringify(withoutPayload),
      });
      await page.goto(`${server.baseUrl}/`);
      const shown = await poll(() =>
        page.evaluate(async () => {
          const registration = await navigator.serviceWorker.ready;
          const list = await registration.getNotifications();
          // Three notifications: two decrypted from the pushes, one fetched from the server by id (which takes longer).
          return list.length >= 3
            ? list.map((n) => ({ title: n.title, body: n.body, tag: n.tag, requireInteraction: n.requireInteraction }))
            : undefined;
        }),
      );
      const alarm = shown.find((n) => n.body === "Delivered by Web Push");
      const normal = shown.find((n) => n.body === "The page was closed");
      assert.ok(alarm && normal, JSON.stringify(shown));
      assert.match(alarm.title, /TRIGGERED.*Pushed alarm/);
      assert.equal(alarm.requireInteraction, true);
      assert.match(normal.title, /Normal.*Only by push/);
      assert.equal(normal.requireInteraction, false);
      assert.equal(alarm.tag, `${channel}/${pushed.id}`);
      const fetched = shown.find((n) => n.body === "The push carried only the id");
      assert.ok(fetched, JSON.stringify(shown));
      assert.match(fetched.title, /TRIGGERED.*Fetched by the worker/);
      // The worker stored what it decrypted; the one the page already had is there once.
      await entry(page, "Only by push").waitFor();
      assert.equal(await entry(page, "Pushed alarm").count(), 1);
      // A push while the page is open shows up in the list at once.
      const third = {
        ...second,
        id: "900002",
        payload: (
          await sealMessage({ subject: "Pushed while open", message: "no reload needed", timeTriggered: now }, now, {
            username: USERNAME,
            sharedSecret: SECRET,
            prefixedChannel: channel,
            envelope: 2,
            crypto: nodeCryptoBackend,
            random: secureRandom,
          })
        ).data,
      };
      await cdp.send("ServiceWorker.deliverPushMessage", {
        origin: server.baseUrl,
        registrationId: await registrationId,
        data: JSON.stringify(third),
      });
      await entry(page, "Pushed while open").waitFor();

      // Offline start: with the server gone, the shell comes from the worker's cache and shows the history.
      await server.stop();
      try {
        await page.reload();
        await entry(page, "Only by push").waitFor();
        assert.notEqual(await page.locator("#status").getAttribute("data-state"), "live");
        await shot(page, "offline-start");
      } finally {
        await server.restart();
      }
    } finally {
      await context.close();
    }
  });
});
