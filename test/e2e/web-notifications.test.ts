/**
 * The web app's notifications in real headless Chromium, shown and tapped
 * for real: Chromium hands its notifications to the desktop's notification
 * daemon over D-Bus, so the test runs a private session bus with a stand-in
 * daemon (packages/web/test/fixtures/fake-notification-daemon.py) that
 * records what is shown and sends the click a user's tap sends. The click
 * reaches the service worker as a trusted `notificationclick`, with the
 * browser's permission to focus and open windows, exactly as on a desktop.
 *
 * The profile is a persistent one: Chromium routes notification clicks only
 * to regular profiles, not to the incognito contexts of `browser.newContext`.
 *
 * Headless pages are always visible, and the app notifies only while it is
 * hidden (otherwise the user is looking at the list); the page test makes
 * the page hidden by overriding `document.visibilityState` in an init
 * script, and changes nothing else.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { createServer, hashPassword, type PushServer, resolveConfig } from "lightweight-push-server";
import { LightweightPush, nodeCryptoBackend, prefixedChannel, sealMessage, secureRandom } from "lightweightpush";
import { type BrowserContext, type CDPSession, chromium, type Page } from "playwright-core";
import { CHROMIUM_ARGS, CHROMIUM_EXECUTABLE, poll, WAIT_MS } from "./support/browser.js";

const root = new URL("../..", import.meta.url).pathname;
const USERNAME = "carol@example.org";
const PASSWORD = "account password";
const SECRET = "notification secret";
/** Lets a test make the page report itself hidden (`globalThis.__lwpHidden = true`), as a page in a background tab does. */
const VISIBILITY_HOOK = `
Object.defineProperty(Document.prototype, "visibilityState", { configurable: true, get() { return globalThis.__lwpHidden ? "hidden" : "visible"; } });
Object.defineProperty(Document.prototype, "hidden", { configurable: true, get() { return globalThis.__lwpHidden === true; } });
`;

interface DaemonNotify {
  readonly event: "notify";
  readonly id: number;
  readonly summary: string;
  readonly body: string;
}
interface DaemonClose {
  readonly event: "close";
  readonly id: number;
}
type DaemonEvent = { readonly event: "ready" } | DaemonNotify | DaemonClose;

/** A private D-Bus session bus with the stand-in notification daemon on it. */
class NotificationDesktop {
  readonly events: DaemonEvent[] = [];

  private constructor(
    private readonly bus: ChildProcess,
    private readonly daemon: ChildProcess,
    readonly busAddress: string,
  ) {}

  static async start(): Promise<NotificationDesktop> {
    const bus = spawn("dbus-daemon", ["--session", "--nofork", "--print-address=1"], { stdio: ["ignore", "pipe", "ignore"] });
    const busAddress = await new Promise<string>((resolve, reject) => {
      bus.once("error", (error) => reject(new Error(`cannot start dbus-daemon (Debian: apt-get install dbus-daemon): ${error.message}`)));
      createInterface({ input: bus.stdout! }).once("line", resolve);
    });
    const daemon = spawn("/usr/bin/python3", [join(root, "packages/web/test/fixtures/fake-notification-daemon.py")], {
      env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: busAddress },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stderr = "";
    daemon.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const desktop = new NotificationDesktop(bus, daemon, busAddress);
    createInterface({ input: daemon.stdout! }).on("line", (line) => desktop.events.push(JSON.parse(line) as DaemonEvent));
    const exited = new Promise<never>((_resolve, reject) =>
      daemon.once("exit", () =>
        reject(new Error(`the notification daemon stopped (Debian: apt-get install python3-dbus python3-gi):\n${stderr}`)),
      ),
    );
    exited.catch(() => undefined); // Only a stop before "ready" is an error; stop() ends it on purpose.
    await Promise.race([poll(() => desktop.events.find((e) => e.event === "ready"), "the notification daemon is ready"), exited]);
    return desktop;
  }

  /** Waits for the notification Chromium shows with this title. */
  shown(summary: string): Promise<DaemonNotify> {
    return poll(
      () => this.events.find((e): e is DaemonNotify => e.event === "notify" && e.summary === summary),
      `the desktop shows a notification titled ${JSON.stringify(summary)} (shown: ${JSON.stringify(this.notifications().map((n) => n.summary))})`,
    );
  }

  notifications(): DaemonNotify[] {
    return this.events.filter((e): e is DaemonNotify => e.event === "notify");
  }

  /** Waits until Chromium takes notification `id` down. */
  closed(id: number): Promise<DaemonClose> {
    return poll(() => this.events.find((e): e is DaemonClose => e.event === "close" && e.id === id), `notification ${id} is taken down`);
  }

  /** The user taps notification `id`. */
  click(id: number): void {
    this.daemon.stdin!.write(`${JSON.stringify({ do: "click", id })}\n`);
  }

  async stop(): Promise<void> {
    this.daemon.stdin!.end();
    this.daemon.kill();
    this.bus.kill();
  }
}

describe("web app notifications in headless Chromium", { timeout: 180_000 }, () => {
  let dataDir: string;
  let profileDir: string;
  let server: PushServer;
  let baseUrl: string;
  let desktop: NotificationDesktop;
  let context: BrowserContext;
  let channel: string;
  let cdp: CDPSession;
  let registrationId: Promise<string>;
  let nextId = 800_000;

  async function appPage(): Promise<Page> {
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(WAIT_MS);
    return page;
  }

  /** A message pushed to the service worker exactly as a push service delivers it. */
  async function deliverPush(subject: string, text: string, state: 0 | 1): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const sealed = await sealMessage({ subject, message: text, state, timeTriggered: now }, now, {
      username: USERNAME,
      sharedSecret: SECRET,
      prefixedChannel: channel,
      envelope: 2,
      crypto: nodeCryptoBackend,
      random: secureRandom,
    });
    const id = String(nextId++);
    await cdp.send("ServiceWorker.deliverPushMessage", {
      origin: baseUrl,
      registrationId: await registrationId,
      data: JSON.stringify({ id, time: now, channel, payload: sealed.data }),
    });
    return `${channel}/${id}`;
  }

  function detailHash(key: string): string {
    return `#/message/${encodeURIComponent(key)}`;
  }

  async function shownTags(page: Page): Promise<string[]> {
    return page.evaluate(async () => {
      const registration = await navigator.serviceWorker.ready;
      return (await registration.getNotifications()).map((n) => n.tag);
    });
  }

  before(async () => {
    execFileSync(process.execPath, [join(root, "packages/web/scripts/build.mjs")], { stdio: "ignore" });
    dataDir = await mkdtemp(join(tmpdir(), "lwp-webnotify-"));
    profileDir = await mkdtemp(join(tmpdir(), "lwp-webnotify-profile-"));
    server = await createServer(
      resolveConfig({
        host: "127.0.0.1",
        port: 0,
        dataDir,
        webRoot: join(root, "packages/web/dist"),
        logLevel: "warn",
        bcryptCost: 4,
        accountSendsPerWindow: 0,
        addressSendsPerWindow: 0,
      }),
      { logStream: new Writable({ write: (_chunk, _encoding, done) => done() }) },
    );
    baseUrl = await server.listen();
    await server.context.storage.addAccount({ username: USERNAME, passwordHash: await hashPassword(PASSWORD, 4), createdAtMs: Date.now() });
    desktop = await NotificationDesktop.start();
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM_EXECUTABLE,
      args: CHROMIUM_ARGS,
      env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: desktop.busAddress },
      timeout: 60_000,
    });
    // A string, not a function: the TypeScript loader wraps functions in helpers that do not exist in the page.
    await context.addInitScript(VISIBILITY_HOOK);

    const page = await appPage();
    await page.goto(`${baseUrl}/`);
    await page.locator("#settings-view").waitFor({ state: "visible" });
    await page.fill("#username", USERNAME);
    await page.fill("#channels", "doorbell");
    await page.fill("#shared-secret", SECRET);
    await page.click("#save-settings");
    await page.locator('#status[data-state="live"]').waitFor();
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
    });
    channel = await prefixedChannel(USERNAME, "doorbell", nodeCryptoBackend);
    cdp = await context.newCDPSession(page);
    registrationId = new Promise<string>((resolve) => {
      cdp.on("ServiceWorker.workerRegistrationUpdated", ({ registrations }) => {
        const found = registrations.find((r) => r.scopeURL === `${baseUrl}/` && !r.isDeleted);
        if (found) resolve(found.registrationId);
      });
    });
    await cdp.send("ServiceWorker.enable");
  });

  after(async () => {
    await context?.close();
    await desktop?.stop();
    await server?.close();
    for (const dir of [dataDir, profileDir]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("tapping a notification brings the open app to that message; with no app open, opens a window on it", async () => {
    await context.grantPermissions(["notifications"], { origin: baseUrl });
    const page = await appPage();
    await page.goto(`${baseUrl}/#/settings`);
    await page.locator("#settings-view").waitFor({ state: "visible" });

    // The app is open (on its settings): a push arrives and the user taps its notification.
    const first = await deliverPush("Doorbell rang", "Someone is at the front door", 1);
    const shown = await desktop.shown("\u26a0 TRIGGERED: Doorbell rang");
    assert.match(shown.body, /Someone is at the front door$/);
    desktop.click(shown.id);
    await poll(
      async () => ((await page.evaluate(() => location.hash)) === detailHash(first) ? true : undefined),
      "the app shows the tapped message",
    );
    await page.locator("#detail-view").waitFor({ state: "visible" });
    assert.equal(await page.locator("#detail-subject").textContent(), "Doorbell rang");
    assert.match((await page.locator("#detail").textContent()) ?? "", /Someone is at the front door/);
    assert.equal(await page.locator("#detail").getAttribute("data-state"), "triggered");
    await desktop.closed(shown.id);
    await poll(async () => ((await shownTags(page)).includes(first) ? undefined : true), "the tapped notification is gone");
    assert.equal(context.pages().length, 1, "the open app is reused, no second window");

    // No window of the app is open, only another page of its site: tapping opens the app on the message.
    await page.goto(`${baseUrl}/manifest.webmanifest`);
    const second = await deliverPush("Parcel delivered", "Left at the back door", 0);
    const parcel = await desktop.shown("Normal: Parcel delivered");
    assert.match(parcel.body, /Left at the back door$/);
    const opened = context.waitForEvent("page", { timeout: WAIT_MS });
    desktop.click(parcel.id);
    const window = await opened;
    window.setDefaultTimeout(WAIT_MS);
    await poll(() => (window.url() === `${baseUrl}/${detailHash(second)}` ? true : undefined), "the new window is on the tapped message");
    await window.locator("#detail-view").waitFor({ state: "visible" });
    assert.equal(await window.locator("#detail-subject").textContent(), "Parcel delivered");
    assert.equal(await window.locator("#detail").getAttribute("data-state"), "normal");
    await desktop.closed(parcel.id);
    // The window opened on the message is the full app: back to the list, both messages are there.
    await window.click("a.back");
    await window.locator("li.entry", { hasText: "Doorbell rang" }).waitFor();
    await window.locator("li.entry", { hasText: "Parcel delivered" }).waitFor();
    assert.equal(page.url(), `${baseUrl}/manifest.webmanifest`, "the other page is left alone");
    await window.close();
    await page.goto("about:blank");
  });

  it("a message view opened a moment before the worker stored its message fills in when it is stored", async () => {
    const page = await appPage();
    const key = `${channel}/${nextId}`;
    await page.goto(`${baseUrl}/${detailHash(key)}`);
    await page.locator("#detail", { hasText: "no longer in the history" }).waitFor();
    assert.equal(await deliverPush("Back door unlocked", "Unlocked with the keypad", 0), key);
    await page.locator("#detail-subject", { hasText: "Back door unlocked" }).waitFor();
    assert.equal(await page.locator("#detail").getAttribute("data-state"), "normal");
    await desktop.shown("Normal: Back door unlocked");
    await page.goto("about:blank");
  });

  it("the page notifies of new messages only while hidden and only when allowed; tapping opens the message", async () => {
    await context.clearPermissions();
    const page = await appPage();
    await page.goto(`${baseUrl}/`);
    await page.locator('#status[data-state="live"]').waitFor();
    assert.equal(await page.evaluate(() => Notification.permission), "default");
    assert.equal(await page.locator("#enable-notifications").isVisible(), true, "the app offers to turn notifications on");
    const push = new LightweightPush(USERNAME, PASSWORD, SECRET, { endpoint: `${baseUrl}/push/send.php`, envelope: 2 });
    const before = desktop.notifications().length;

    // Hidden, but not allowed: nothing is shown.
    await page.evaluate(() => {
      (globalThis as unknown as { __lwpHidden: boolean }).__lwpHidden = true;
    });
    await push.sendMsg("Not allowed yet", "no notification for this", "doorbell", { state: 0, maxRetries: 0 });
    await page.locator("li.entry", { hasText: "Not allowed yet" }).waitFor({ state: "attached" });

    // Allowed and visible: the user sees the list, nothing is shown.
    await context.grantPermissions(["notifications"], { origin: baseUrl });
    await page.evaluate(() => {
      (globalThis as unknown as { __lwpHidden: boolean }).__lwpHidden = false;
    });
    await push.sendMsg("Seen in the list", "no notification for this either", "doorbell", { state: 1, maxRetries: 0 });
    await page.locator("li.entry", { hasText: "Seen in the list" }).waitFor();

    // Allowed and hidden: a notification with the message's title, text and state.
    await page.evaluate(() => {
      (globalThis as unknown as { __lwpHidden: boolean }).__lwpHidden = true;
    });
    await push.sendMsg("Garage door open", "Open for 10 minutes", "doorbell", { state: 1, maxRetries: 0 });
    const shown = await desktop.shown("\u26a0 TRIGGERED: Garage door open");
    assert.match(shown.body, /Open for 10 minutes$/);
    const entry = page.locator("li.entry", { hasText: "Garage door open" });
    await entry.waitFor({ state: "attached" });
    const key = (await entry.getAttribute("data-key"))!;
    const listed = await page.evaluate(async () => {
      const registration = await navigator.serviceWorker.ready;
      return (await registration.getNotifications()).map((n) => ({
        title: n.title,
        body: n.body,
        tag: n.tag,
        requireInteraction: n.requireInteraction,
      }));
    });
    const quiet = [
      await page.locator("li.entry", { hasText: "Not allowed yet" }).getAttribute("data-key"),
      await page.locator("li.entry", { hasText: "Seen in the list" }).getAttribute("data-key"),
    ];
    assert.deepEqual(
      listed.find((n) => n.tag === key),
      { title: "\u26a0 TRIGGERED: Garage door open", body: "Open for 10 minutes", tag: key, requireInteraction: true },
    );
    assert.deepEqual(
      listed.filter((n) => quiet.includes(n.tag)),
      [],
      "nothing was shown while not allowed or while visible",
    );
    assert.deepEqual(
      desktop
        .notifications()
        .slice(before)
        .map((n) => n.summary)
        .filter((summary) => /Not allowed yet|Seen in the list|Garage door open/.test(summary)),
      ["\u26a0 TRIGGERED: Garage door open"],
      "the desktop showed nothing while not allowed or while visible",
    );

    // The user comes back by tapping it: the page shows the message.
    await page.evaluate(() => {
      (globalThis as unknown as { __lwpHidden: boolean }).__lwpHidden = false;
    });
    desktop.click(shown.id);
    await poll(
      async () => ((await page.evaluate(() => location.hash)) === detailHash(key) ? true : undefined),
      "the app shows the tapped message",
    );
    assert.equal(await page.locator("#detail-subject").textContent(), "Garage door open");
    await desktop.closed(shown.id);
  });
});
