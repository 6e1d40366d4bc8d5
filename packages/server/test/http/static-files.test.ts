import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type StorageFixture, sqliteStorageFactory } from "../helpers/storage-factories.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

describe("static web app", () => {
  let fixture: StorageFixture;
  let t: TestServer;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "lwp-web-"));
    const root = join(dir, "dist");
    await mkdir(join(root, "assets"), { recursive: true });
    await writeFile(join(root, "index.html"), "<!doctype html><title>app</title>");
    await writeFile(join(root, "sw.js"), "self.addEventListener('push', () => {});");
    await writeFile(join(root, "assets", "app.css"), "body{}");
    await writeFile(join(root, "manifest.webmanifest"), "{}");
    await writeFile(join(dir, "secret.txt"), "outside the root");
    await symlink(join(dir, "secret.txt"), join(root, "link.txt"));
    fixture = await sqliteStorageFactory.create();
    t = await startTestServer(fixture, { listen: true, config: { webRoot: root } });
  });
  after(async () => {
    await t.close();
    await fixture.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it("serves index.html at / and files with their content types", async () => {
    const index = await fetch(`${t.url}/`);
    assert.equal(index.status, 200);
    assert.match(index.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(await index.text(), /<title>app<\/title>/);
    const css = await fetch(`${t.url}/assets/app.css`);
    assert.match(css.headers.get("content-type") ?? "", /^text\/css/);
    const manifest = await fetch(`${t.url}/manifest.webmanifest`);
    assert.match(manifest.headers.get("content-type") ?? "", /^application\/manifest\+json/);
  });

  it("lets the service worker control the whole origin", async () => {
    const sw = await fetch(`${t.url}/sw.js`);
    assert.equal(sw.status, 200);
    assert.match(sw.headers.get("content-type") ?? "", /^text\/javascript/);
    assert.equal(sw.headers.get("service-worker-allowed"), "/");
  });

  it("never serves outside the root, by dot segments, encoded slashes or symbolic links", async () => {
    for (const path of ["/../secret.txt", "/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt", "/link.txt", "/missing.js"]) {
      const response = await fetch(`${t.url}${path}`);
      assert.equal(response.status, 404, path);
      assert.ok(!(await response.text()).includes("outside the root"), path);
    }
  });

  it("keeps the API routes ahead of the files", async () => {
    assert.equal((await fetch(`${t.url}/healthz`)).status, 200);
  });
});
