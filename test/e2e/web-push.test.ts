/**
 * Web Push from end to end, as far as a machine without a browser push
 * service allows: the real server (delivery extension) pushes to a local
 * stand-in push service that checks VAPID and decrypts RFC 8291 with the
 * subscription's keys; the plaintext it got is handed to the web app's
 * service worker in headless Chromium exactly as a push service would
 * (DevTools protocol), and the worker decrypts and notifies.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { createDeliveryExtension, createServer, hashPassword, type PushServer, resolveConfig } from "lightweight-push-server";
import { LightweightPush, nodeCryptoBackend, prefixedChannel } from "lightweightpush";
import { type Browser, chromium } from "playwright-core";
import { FakePushService } from "../../packages/server/test/fixtures/fake-push-service.ts";
import { CHROMIUM_ARGS, CHROMIUM_EXECUTABLE, poll, WAIT_MS } from "./support/browser.js";

const root = new URL("../..", import.meta.url).pathname;
const USERNAME = "bob@example.org";
const PASSWORD = "account password";
const SECRET = "push secret";
describe("Web Push to the web app", { timeout: 120_000 }, () => {
  let dataDir: string;
  let pushService: FakePushService;
  let server: PushServer;
  let baseUrl: string;
  let browser: Browser;

  before(async () => {
    execFileSync(process.execPath, [join(root, "packages/web/scripts/build.mjs")], { stdio: "ignore" });
    dataDir = await mkdtemp(join(tmpdir(), "lwp-webpush-"));
    pushService = await FakePushService.start();
    const config = resolveConfig({
      host: "127.0.0.1",
      port: 0,
      dataDir,
      webRoot: join(root, "packages/web/dist"),
      logLevel: "warn",
      bcryptCost: 4,
      webPushVapidSubject: "mailto:ops@example.org",
      webPushEndpointHosts: pushService.origin,
    });
    server = await createServer(config, {
      extensions: [createDeliveryExtension()],
      logStream: new Writable({ write: (_chunk, _encoding, done) => done() }),
    });
    baseUrl = await server.listen();
    await server.context.storage.addAccount({ username: USERNAME, passwordHash: await hashPassword(PASSWORD, 4), createdAtMs: Date.now() });
    browser = await chromium.launch({ executablePath: CHROMIUM_EXECUTABLE, args: CHROMIUM_ARGS, timeout: 60_000 });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await pushService?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("a message pushed by the server wakes the service worker, which decrypts it and shows a notification", async () => {
    const context = await browser.newContext();
    try {
      await context.grantPermissions(["notifications"], { origin: baseUrl });
      const page = await context.newPage();
      page.setDefaultTimeout(WAIT_MS);
      await page.goto(`${baseUrl}/`);
      await page.fill("#username", USERNAME);
      await page.fill("#channels", "alarm");
      await page.fill("#shared-secret", SECRET);
      await page.click("#save-settings");
      await page.locator('#status[data-state="live"]').waitFor();
      await page.evaluate(async () => {
        await navigator.serviceWorker.ready;
      });
      const cdp = await context.newCDPSession(page);
      const registrationId = new Promise<string>((resolve) => {
        cdp.on("ServiceWorker.workerRegistrationUpdated", ({ registrations }) => {
          const found = registrations.find((r) => r.scopeURL === `${baseUrl}/` && !r.isDeleted);
          if (found) resolve(found.registrationId);
        });
      });
      await cdp.send("ServiceWorker.enable");

      // The browser's side of subscribing, with the server's VAPID key, as the app's web-push module does.
      const { publicKey } = (await (await fetch(`${baseUrl}/v1/webpush/public-key`)).json()) as { publicKey: string };
      const subscription = pushService.createSubscription({ applicationServerKey: publicKey });
      const channel = await prefixedChannel(USERNAME, "alarm", nodeCryptoBackend);
      const registered = await fetch(`${baseUrl}/v1/webpush/subscriptions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ subscription, channels: [channel] }),
      });
      assert.equal(registered.status, 200, await registered.text());

      // The app is closed; a triggered message is sent.
      await page.goto("about:blank");
      const push = new LightweightPush(USERNAME, PASSWORD, SECRET, { endpoint: `${baseUrl}/push/send.php`, envelope: 2 });
      await push.sendMsg("Water leak", "Basement sensor reports water", "alarm", { state: 1, maxRetries: 0 });
      await pushService.waitFor(() => pushService.deliveriesTo(subscription.endpoint).length >= 1, WAIT_MS);
      const delivered = pushService.deliveriesTo(subscription.endpoint)[0]!;
      assert.doesNotMatch(delivered.plaintext, /Water leak|Basement/, "the push service sees only the sealed envelope");

      await cdp.send("ServiceWorker.deliverPushMessage", {
        origin: baseUrl,
        registrationId: await registrationId,
        data: delivered.plaintext,
      });
      await page.goto(`${baseUrl}/`);
      const shown = await poll(() =>
        page.evaluate(async () => {
          const registration = await navigator.serviceWorker.ready;
          const list = await registration.getNotifications();
          return list.length > 0 ? list.map((n) => ({ title: n.title, body: n.body })) : undefined;
        }),
      );
      assert.equal(shown.length, 1);
      assert.match(shown[0]!.title, /TRIGGERED.*Water leak/);
      assert.equal(shown[0]!.body, "Basement sensor reports water");
      await page.locator("li.entry", { hasText: "Water leak" }).waitFor();
      assert.equal(await page.locator("li.entry").count(), 1, "the worker's copy and the stream's copy are one entry");
    } finally {
      await context.close();
    }
  });

  it("says so in the settings when this browser cannot subscribe to Web Push", async () => {
    const context = await browser.newContext();
    try {
      await context.grantPermissions(["notifications"], { origin: baseUrl });
      const page = await context.newPage();
      page.setDefaultTimeout(WAIT_MS);
      await page.goto(`${baseUrl}/`);
      await page.fill("#username", USERNAME);
      await page.fill("#channels", "alarm");
      await page.fill("#shared-secret", SECRET);
      await page.click("#save-settings");
      await page.locator('#status[data-state="live"]').waitFor();
      await page.goto(`${baseUrl}/#/settings`);
      await page.locator("#toggle-web-push:not([disabled])").waitFor();
      // Headless Chromium has no push service: subscribing fails, and the user is told.
      await page.click("#toggle-web-push");
      await page.locator("#web-push-status", { hasText: "Could not change Web Push" }).waitFor();
      assert.equal(await page.locator("#toggle-web-push").isEnabled(), true, "the user can try again");
    } finally {
      await context.close();
    }
  });
});
