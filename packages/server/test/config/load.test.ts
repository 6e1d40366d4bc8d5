import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ConfigError, defaultConfig, envName, flagName } from "../../src/config/config.js";
import { loadConfig, redactConfig, resolveConfig } from "../../src/config/load.js";

describe("loadConfig", () => {
  it("layers defaults <- config file <- environment <- flags", async () => {
    const dir = await mkdtemp(join(tmpdir(), "lwp-config-"));
    try {
      const file = join(dir, "config.json");
      await writeFile(file, JSON.stringify({ port: 1000, host: "0.0.0.0", statsEnabled: true, messageRetentionSeconds: 60 }));
      const config = loadConfig({
        configFile: file,
        env: { LWP_SERVER_PORT: "2000", LWP_SERVER_MESSAGE_RETENTION_SECONDS: "120" },
        flags: { port: "3000" },
      });
      assert.equal(config.port, 3000);
      assert.equal(config.messageRetentionSeconds, 120);
      assert.equal(config.host, "0.0.0.0");
      assert.equal(config.statsEnabled, true);
      assert.equal(config.bruteForceMaxFailures, defaultConfig.bruteForceMaxFailures);
      assert.equal(loadConfig({ env: { LWP_SERVER_CONFIG: file } }).port, 1000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("uses the original service's brute-force defaults and a 7-day message cache", () => {
    const config = loadConfig({ env: {} });
    assert.equal(config.bruteForceMaxFailures, 3);
    assert.equal(config.bruteForceWindowSeconds, 120);
    assert.equal(config.bruteForceBlockSeconds, 60);
    assert.equal(config.messageRetentionSeconds, 7 * 86_400);
  });

  it("names env variables and flags after the keys", () => {
    assert.equal(envName("dataDir"), "LWP_SERVER_DATA_DIR");
    assert.equal(flagName("webPushVapidPrivateKey"), "--web-push-vapid-private-key");
  });

  it("refuses bad values with the source named and the value left out", async () => {
    assert.throws(
      () => loadConfig({ env: { LWP_SERVER_PORT: "80x" } }),
      (e: Error) => e instanceof ConfigError && /LWP_SERVER_PORT/.test(e.message),
    );
    assert.throws(() => loadConfig({ env: { LWP_SERVER_TRUST_PROXY: "maybe" } }), ConfigError);
    assert.throws(() => loadConfig({ env: {}, flags: { bruteForceMaxFailures: "0" } }), /at least 1/);
    assert.throws(() => resolveConfig({ port: -1 }), ConfigError);
    const dir = await mkdtemp(join(tmpdir(), "lwp-config-"));
    try {
      await writeFile(join(dir, "c.json"), JSON.stringify({ nope: 1 }));
      assert.throws(() => loadConfig({ env: {}, configFile: join(dir, "c.json") }), /unknown key "nope"/);
      await writeFile(join(dir, "d.json"), JSON.stringify({ webPushVapidPrivateKey: 5 }));
      assert.throws(
        () => loadConfig({ env: {}, configFile: join(dir, "d.json") }),
        (e: Error) => !e.message.includes("5"),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("redacts secrets for logging and turns the web root off with an empty string", () => {
    const config = resolveConfig({ databaseUrl: "postgres://u:secret@h/db", webRoot: "" });
    assert.equal(redactConfig(config).databaseUrl, "(set)");
    assert.equal(config.webRoot, undefined);
  });
});
