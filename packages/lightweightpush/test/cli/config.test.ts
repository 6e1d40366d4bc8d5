/**
 * The CLI's settings: the parser's optparse rules and the layering
 * defaults <- config file <- environment <- flags, with the environment
 * and config files injected by the test.
 */
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { parseArgv } from "../../src/cli/args.js";
import { defaultConfigPath, type ListenConfig, loadListenConfig, loadSendConfig, type SendConfig } from "../../src/cli/config.js";
import { UsageError } from "../../src/cli/errors.js";

const CREDENTIALS = {
  LIGHTWEIGHT_PUSH_USERNAME: "me@example.org",
  LIGHTWEIGHT_PUSH_PASSWORD: "pw-config-test",
  LIGHTWEIGHT_PUSH_SHARED_SECRET: "ss-config-test",
};
const MESSAGE = ["-c", "C", "--sbj", "S", "--msg", "M"];

function home(config?: object, mode = 0o600): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), "lwp-config-"));
  if (config) {
    mkdirSync(join(dir, "lightweight-push"));
    const path = join(dir, "lightweight-push", "config.json");
    writeFileSync(path, JSON.stringify(config));
    chmodSync(path, mode);
  }
  return { HOME: dir, XDG_CONFIG_HOME: dir };
}

function send(argv: readonly string[], env: Record<string, string | undefined>): SendConfig {
  const command = loadSendConfig(argv, env);
  assert.equal(command.action, "send");
  return (command as { config: SendConfig }).config;
}

function usageError(run: () => unknown, message: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof UsageError, String(error));
    assert.match(error.message, message);
    return true;
  });
}

describe("command-line parser", () => {
  const specs = {
    maxRetries: { flags: ["-m", "--max-retries"], takesValue: true },
    subject: { flags: ["--sbj", "--subject"], takesValue: true },
    sharedSecret: { flags: ["--ss", "--shared-secret"], takesValue: true },
    state: { flags: ["-s", "--state"], takesValue: true },
    json: { flags: ["--json"], takesValue: false },
  };
  test("a value-taking option consumes the next argument even when it starts with a dash", () => {
    const parsed = parseArgv(["-m", "-1", "--sbj", "--json"], specs);
    assert.deepEqual(parsed.options.get("maxRetries"), [{ flag: "-m", value: "-1" }]);
    assert.deepEqual(parsed.options.get("subject"), [{ flag: "--sbj", value: "--json" }]);
    assert.equal(parsed.options.has("json"), false);
  });
  test("unique prefixes expand; ambiguous ones are refused naming the candidates", () => {
    assert.deepEqual(parseArgv(["--subj=x"], specs).options.get("subject"), [{ flag: "--subject", value: "x" }]);
    usageError(() => parseArgv(["--s", "x"], specs), /ambiguous option --s \(could be --sbj, --subject, --ss, --shared-secret, --state\)/);
  });
  test("-- ends the options; a switch refuses a value", () => {
    assert.deepEqual(parseArgv(["--", "-m", "3"], specs).positionals, ["-m", "3"]);
    usageError(() => parseArgv(["--json=yes"], specs), /option --json takes no value/);
  });
  test("an unknown short option is named without the rest of the argument, which may be a password", () => {
    usageError(() => parseArgv(["-Phunter2"], specs), /^unknown option -P$/);
  });
});

describe("send settings", () => {
  test("defaults: the AlertR endpoint, envelope 1, 16 retries, 30 s per attempt, WARNING, certificates checked", () => {
    const config = send(MESSAGE, { ...home(), ...CREDENTIALS });
    assert.equal(config.endpoint, "https://push.alertr.de/push/send.php");
    assert.equal(config.envelope, 1);
    assert.equal(config.maxRetries, 16);
    assert.equal(config.timeoutMs, 30_000);
    assert.equal(config.loglevel, "WARNING");
    assert.equal(config.checkSslCertificate, true);
    assert.equal(config.state, undefined);
    assert.equal(config.timeTriggered, undefined);
    assert.equal(config.configFile, undefined);
  });

  test("each layer overrides the one before: file <- environment <- flags", () => {
    const env = { ...home({ maxRetries: 3, timeout: 7, envelope: 2, loglevel: "error" }), ...CREDENTIALS };
    const fromFile = send(MESSAGE, env);
    assert.deepEqual([fromFile.maxRetries, fromFile.timeoutMs, fromFile.envelope, fromFile.loglevel], [3, 7000, 2, "ERROR"]);
    assert.equal(fromFile.sources.maxRetries, "config file");
    const fromEnv = send(MESSAGE, { ...env, LIGHTWEIGHT_PUSH_MAX_RETRIES: "4", LIGHTWEIGHT_PUSH_TIMEOUT: "0.5" });
    assert.deepEqual([fromEnv.maxRetries, fromEnv.timeoutMs, fromEnv.envelope], [4, 500, 2]);
    assert.equal(fromEnv.sources.maxRetries, "LIGHTWEIGHT_PUSH_MAX_RETRIES");
    const fromFlags = send([...MESSAGE, "-m", "5", "--envelope", "1"], { ...env, LIGHTWEIGHT_PUSH_MAX_RETRIES: "4" });
    assert.deepEqual([fromFlags.maxRetries, fromFlags.envelope], [5, 1]);
    assert.equal(fromFlags.sources.maxRetries, "flag -m");
  });

  test("an empty environment variable counts as unset", () => {
    const config = send(MESSAGE, { ...home({ maxRetries: 2 }), ...CREDENTIALS, LIGHTWEIGHT_PUSH_MAX_RETRIES: "" });
    assert.equal(config.maxRetries, 2);
  });

  test("LIGHTWEIGHT_PUSH_CHECK_SSL_CERTIFICATE=0 turns the check off; the file key is noCheckSslCertificate", () => {
    assert.equal(send(MESSAGE, { ...home(), ...CREDENTIALS, LIGHTWEIGHT_PUSH_CHECK_SSL_CERTIFICATE: "0" }).checkSslCertificate, false);
    assert.equal(send(MESSAGE, { ...home(), ...CREDENTIALS, LIGHTWEIGHT_PUSH_CHECK_SSL_CERTIFICATE: "yes" }).checkSslCertificate, true);
    assert.equal(send(MESSAGE, { ...home({ noCheckSslCertificate: true }), ...CREDENTIALS }).checkSslCertificate, false);
    usageError(
      () => send(MESSAGE, { ...home(), ...CREDENTIALS, LIGHTWEIGHT_PUSH_CHECK_SSL_CERTIFICATE: "maybe" }),
      /LIGHTWEIGHT_PUSH_CHECK_SSL_CERTIFICATE: expected 1\/0/,
    );
  });

  test("--server stands for its /push/send.php unless an endpoint is set", () => {
    const env = { ...home(), ...CREDENTIALS };
    assert.equal(send([...MESSAGE, "--server", "https://push.example.org/"], env).endpoint, "https://push.example.org/push/send.php");
    assert.equal(
      send([...MESSAGE, "--server", "https://push.example.org", "--endpoint", "http://127.0.0.1:1/x"], env).endpoint,
      "http://127.0.0.1:1/x",
    );
    usageError(() => send([...MESSAGE, "--endpoint", "ftp://x"], env), /endpoint has to be an http:\/\/ or https:\/\/ URL/);
  });

  test("the config file path: --config, else LIGHTWEIGHT_PUSH_CONFIG, else XDG_CONFIG_HOME, else ~/.config", () => {
    assert.equal(defaultConfigPath({ XDG_CONFIG_HOME: "/xdg", HOME: "/home/u" }), "/xdg/lightweight-push/config.json");
    assert.equal(defaultConfigPath({ HOME: "/home/u" }), "/home/u/.config/lightweight-push/config.json");
    assert.equal(defaultConfigPath({ XDG_CONFIG_HOME: "relative", HOME: "/home/u" }), "/home/u/.config/lightweight-push/config.json");
    const a = home({ channel: "FromA" });
    const b = home({ channel: "FromB" });
    const path = (env: Record<string, string>) => join(env.XDG_CONFIG_HOME!, "lightweight-push", "config.json");
    const args = ["--sbj", "S", "--msg", "M"];
    assert.equal(send(args, { ...a, ...CREDENTIALS }).channel, "FromA");
    assert.equal(send(args, { ...a, ...CREDENTIALS, LIGHTWEIGHT_PUSH_CONFIG: path(b) }).channel, "FromB");
    assert.equal(send([...args, "--config", path(a)], { ...b, ...CREDENTIALS, LIGHTWEIGHT_PUSH_CONFIG: path(b) }).channel, "FromA");
    usageError(
      () => send([...args, "--config", "/nonexistent/lwp.json"], { ...a, ...CREDENTIALS }),
      /cannot read config file \/nonexistent\/lwp.json: no such file/,
    );
  });

  test("a broken config file is refused without quoting its content; --help still works", () => {
    const env = home();
    mkdirSync(join(env.XDG_CONFIG_HOME!, "lightweight-push"));
    const path = join(env.XDG_CONFIG_HOME!, "lightweight-push", "config.json");
    writeFileSync(path, '{"password": "hunter2-in-file",}', { mode: 0o600 });
    assert.throws(
      () => loadSendConfig(MESSAGE, env),
      (error: unknown) => error instanceof UsageError && error.message === `config file ${path} is not valid JSON`,
    );
    assert.deepEqual(loadSendConfig(["--help"], env), { action: "help" });
    writeFileSync(path, '{"maxRetries": "3"}');
    usageError(() => loadSendConfig(MESSAGE, { ...env, ...CREDENTIALS }), /"maxRetries" has to be a whole number/);
  });

  test("secrets in a file others may read are refused; a readable file without secrets is fine", () => {
    for (const mode of [0o640, 0o604, 0o660]) {
      usageError(
        () => send(MESSAGE, { ...home({ sharedSecret: "s" }, mode), ...CREDENTIALS }),
        /holds a password or shared secret but other users may access it/,
      );
    }
    assert.equal(send(["--sbj", "S", "--msg", "M"], { ...home({ channel: "Open" }, 0o644), ...CREDENTIALS }).channel, "Open");
  });

  test("unknown keys draw a warning (a typo is likely); keys of listen do not", () => {
    const config = send(MESSAGE, { ...home({ pasword: "x", server: "https://push.example.org" }), ...CREDENTIALS });
    assert.equal(config.warnings.length, 1);
    assert.match(config.warnings[0]!, /unknown setting "pasword" ignored/);
  });

  test("a send takes one channel: several from the environment are refused", () => {
    usageError(
      () => send(["--sbj", "S", "--msg", "M"], { ...home(), ...CREDENTIALS, LIGHTWEIGHT_PUSH_CHANNEL: "A,B" }),
      /one channel per message, got 2 \(A, B\) from LIGHTWEIGHT_PUSH_CHANNEL/,
    );
    assert.equal(send(["--sbj", "S", "--msg", "M", "-c", "One"], { ...home({ channel: ["A", "B"] }), ...CREDENTIALS }).channel, "One");
  });

  test("invalid values are refused before anything is sent", () => {
    const env = { ...home(), ...CREDENTIALS };
    usageError(() => send([...MESSAGE, "-t", "-5"], env), /time triggered has to be unix seconds/);
    usageError(() => send([...MESSAGE, "-m", "-2"], env), /max retries has to be -1 \(forever\), 0 or more/);
    usageError(() => send([...MESSAGE, "--timeout", "0"], env), /timeout has to be more than 0/);
    usageError(() => send([...MESSAGE, "--timeout", "1e9"], env), /at most 2147483 seconds/);
  });
});

describe("listen settings", () => {
  function listen(argv: readonly string[], env: Record<string, string>): ListenConfig {
    const command = loadListenConfig(argv, env);
    assert.equal(command.action, "listen");
    return (command as { config: ListenConfig }).config;
  }

  test("-c repeats; --json, --exec and --since are read; the server may come from the send endpoint", () => {
    const env = { ...home({ endpoint: "https://push.example.org/push/send.php" }), ...CREDENTIALS };
    const config = listen(["-c", "Door", "-c", "Garage", "--json", "--exec", "notify-send", "--since", "all"], env);
    assert.deepEqual(config.channels, ["Door", "Garage"]);
    assert.equal(config.server, "https://push.example.org");
    assert.equal(config.json, true);
    assert.equal(config.exec, "notify-send");
    assert.equal(config.since, "all");
    assert.equal(config.username, "me@example.org");
    assert.equal(config.sharedSecret, "ss-config-test");
  });

  test("channels and server from the environment; a server is required", () => {
    const config = listen([], {
      ...home(),
      ...CREDENTIALS,
      LIGHTWEIGHT_PUSH_CHANNEL: "A, B",
      LIGHTWEIGHT_PUSH_SERVER: "http://127.0.0.1:8080/",
    });
    assert.deepEqual(config.channels, ["A", "B"]);
    assert.equal(config.server, "http://127.0.0.1:8080");
    usageError(() => listen(["-c", "A"], { ...home(), ...CREDENTIALS }), /no server given/);
  });
});
