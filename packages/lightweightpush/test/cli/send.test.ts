/**
 * `lightweight-push` end to end: the built bin, spawned as a user runs it,
 * against a local push endpoint that decrypts what it receives. Every run
 * is also checked for the password and shared secret in its output
 * (see support/run-bin.ts).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { makeTestCertificate } from "../client/support/test-certificate.js";
import { startPushServer, TEST_PASSWORD, TEST_PREFIX, TEST_SECRET, TEST_USERNAME } from "./support/decrypting-push-server.js";
import { assertBinBuilt, BIN, freshHome, runBin } from "./support/run-bin.js";

/** Credentials through the environment, the safe way. */
const CREDENTIALS_ENV = {
  LIGHTWEIGHT_PUSH_USERNAME: TEST_USERNAME,
  LIGHTWEIGHT_PUSH_PASSWORD: TEST_PASSWORD,
  LIGHTWEIGHT_PUSH_SHARED_SECRET: TEST_SECRET,
};

/** Runs the bin against a fresh server answering `codes`; returns both. */
async function sendWith(
  codes: readonly number[],
  args: (endpoint: string) => readonly string[],
  options: Parameters<typeof runBin>[1] = {},
) {
  const server = await startPushServer(codes);
  try {
    const result = await runBin(args(server.endpoint), options);
    return { result, received: server.received };
  } finally {
    await server.close();
  }
}

function writeConfig(home: string, config: object, mode = 0o600): string {
  const dir = join(home, ".config", "lightweight-push");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "config.json");
  writeFileSync(path, JSON.stringify(config));
  chmodSync(path, mode);
  return path;
}

before(assertBinBuilt);

describe("lightweight-push: the original flags", () => {
  test("short forms send one encrypted message, and success is silent", async () => {
    const { result, received } = await sendWith([0], (endpoint) => [
      "-c",
      "MyChannel",
      "--sbj",
      "Door",
      "--msg",
      "Opened",
      "-s",
      "1",
      "-t",
      "1764850000",
      "-u",
      TEST_USERNAME,
      "-p",
      TEST_PASSWORD,
      "--ss",
      TEST_SECRET,
      "-m",
      "0",
      "--endpoint",
      endpoint,
    ]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, "");
    assert.equal(result.stderr, "");
    assert.equal(received.length, 1);
    const [push] = received;
    assert.equal(push?.username, TEST_USERNAME);
    assert.equal(push?.password, TEST_PASSWORD);
    assert.equal(push?.channel, `${TEST_PREFIX}_MyChannel`);
    assert.equal(push?.version, 0.1);
    assert.ok(!push?.data.startsWith("v2."), "envelope v1 by default");
    const payload = push?.payload;
    assert.ok(payload, "the payload opens with the shared secret");
    assert.equal(payload.sbj, "Door");
    assert.equal(payload.msg, "Opened");
    assert.equal(payload.tt, 1764850000);
    assert.equal(payload.is_sa, true);
    assert.equal(payload.st, 1);
    assert.ok(Math.abs(payload.ts - Date.now() / 1000) < 120, "time sent is now");
  });

  test("long forms (with = and spaces) work the same, and -l INFO reports channel and attempts", async () => {
    const { result, received } = await sendWith([0], (endpoint) => [
      "send",
      "--channel=Garage",
      "--subject",
      "Garage door",
      "--message=Closed",
      "--state",
      "0",
      "--time-triggered",
      "1700000000",
      "--username",
      TEST_USERNAME,
      "--password",
      TEST_PASSWORD,
      "--shared-secret",
      TEST_SECRET,
      "--max-retries",
      "-1",
      "--loglevel",
      "info",
      `--endpoint=${endpoint}`,
    ]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, "");
    assert.equal(result.stderr, `lightweight-push: info: sent to ${TEST_PREFIX}_Garage in 1 attempt\n`);
    const payload = received[0]?.payload;
    assert.deepEqual(
      { sbj: payload?.sbj, msg: payload?.msg, tt: payload?.tt, is_sa: payload?.is_sa, st: payload?.st },
      { sbj: "Garage door", msg: "Closed", tt: 1700000000, is_sa: true, st: 0 },
    );
  });

  test("optparse conveniences: attached short values, abbreviated long options, values starting with a dash", async () => {
    const { result, received } = await sendWith(
      [0],
      (endpoint) => ["-cAttic", "--subj", "-5 degrees", "--mess", "-- frost --", "--endp", endpoint],
      {
        env: CREDENTIALS_ENV,
      },
    );
    assert.equal(result.status, 0, result.stderr);
    assert.equal(received[0]?.channel, `${TEST_PREFIX}_Attic`);
    assert.equal(received[0]?.payload?.sbj, "-5 degrees");
    assert.equal(received[0]?.payload?.msg, "-- frost --");
  });

  test("without --state the message carries no state; without -t the time triggered is now", async () => {
    const { result, received } = await sendWith(
      [0],
      (endpoint) => ["-c", "MyChannel", "--sbj", "S", "--msg", "M", "--endpoint", endpoint],
      {
        env: CREDENTIALS_ENV,
      },
    );
    assert.equal(result.status, 0, result.stderr);
    const payload = received[0]?.payload;
    assert.equal(payload?.is_sa, false);
    assert.equal(payload?.st, undefined);
    assert.ok(payload && Math.abs(payload.tt - Date.now() / 1000) < 120);
  });

  test("the message is read from stdin when --msg is absent and stdin is a pipe", async () => {
    const text = "Line one\nZeile zwei: äöü €\n";
    const { result, received } = await sendWith([0], (endpoint) => ["-c", "Pipe", "--sbj", "From stdin", "--endpoint", endpoint], {
      env: CREDENTIALS_ENV,
      stdin: text,
    });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(received[0]?.payload?.msg, text);
    assert.equal(received[0]?.payload?.sbj, "From stdin");
  });

  test("an interrupt while waiting for stdin that never closes exits 130 at once and sends nothing", async () => {
    const server = await startPushServer([0]);
    try {
      const home = freshHome();
      const child = spawn(process.execPath, [BIN, "-c", "C", "--sbj", "S", "--endpoint", server.endpoint], {
        env: { PATH: process.env.PATH ?? "", HOME: home, XDG_CONFIG_HOME: home, ...CREDENTIALS_ENV },
        stdio: ["pipe", "pipe", "pipe"],
      });
      let stderr = "";
      child.stderr.setEncoding("utf8").on("data", (text: string) => {
        stderr += text;
      });
      // stdin stays open: the command waits for the message until interrupted.
      const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
      await new Promise((resolve) => setTimeout(resolve, 1000));
      child.kill("SIGINT");
      const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      const status = await exited;
      clearTimeout(killer);
      assert.equal(status, 130, stderr);
      assert.match(stderr, /interrupted while reading the message from stdin; nothing was sent/);
      assert.equal(server.received.length, 0);
    } finally {
      await server.close();
    }
  });

  test("--envelope 2 sends an authenticated v2 envelope that opens with the secret", async () => {
    const { result, received } = await sendWith(
      [0],
      (endpoint) => ["-c", "V2", "--sbj", "S", "--msg", "M", "--envelope", "2", "--endpoint", endpoint],
      {
        env: CREDENTIALS_ENV,
      },
    );
    assert.equal(result.status, 0, result.stderr);
    assert.ok(received[0]?.data.startsWith("v2."));
    assert.equal(received[0]?.payload?.msg, "M");
    assert.match(received[0]?.payload?.id ?? "", /^[0-9a-f]{32}$/);
  });
});

describe("lightweight-push: settings from environment and config file", () => {
  test("credentials, channel and endpoint from the environment alone", async () => {
    const server = await startPushServer([0]);
    try {
      const result = await runBin(["--sbj", "Env", "--msg", "only", "-m", "0"], {
        env: { ...CREDENTIALS_ENV, LIGHTWEIGHT_PUSH_CHANNEL: "EnvChannel", LIGHTWEIGHT_PUSH_ENDPOINT: server.endpoint },
      });
      assert.equal(result.status, 0, result.stderr);
      assert.equal(server.received[0]?.username, TEST_USERNAME);
      assert.equal(server.received[0]?.password, TEST_PASSWORD);
      assert.equal(server.received[0]?.channel, `${TEST_PREFIX}_EnvChannel`);
      assert.equal(server.received[0]?.payload?.msg, "only");
    } finally {
      await server.close();
    }
  });

  test("credentials, channel and endpoint from a private config file alone", async () => {
    const server = await startPushServer([0]);
    try {
      const home = freshHome();
      writeConfig(home, {
        username: TEST_USERNAME,
        password: TEST_PASSWORD,
        sharedSecret: TEST_SECRET,
        channel: "FileChannel",
        endpoint: server.endpoint,
        maxRetries: 0,
      });
      const result = await runBin(["--sbj", "File", "--msg", "only"], { home });
      assert.equal(result.status, 0, result.stderr);
      assert.equal(server.received[0]?.channel, `${TEST_PREFIX}_FileChannel`);
      assert.equal(server.received[0]?.payload?.sbj, "File");
    } finally {
      await server.close();
    }
  });

  test("flags override the environment, which overrides the config file", async () => {
    const server = await startPushServer([0, 0]);
    try {
      const home = freshHome();
      writeConfig(home, {
        username: "file-user@example.org",
        password: TEST_PASSWORD,
        sharedSecret: TEST_SECRET,
        channel: "FromFile",
        endpoint: "http://127.0.0.1:9/unused",
      });
      const env = {
        LIGHTWEIGHT_PUSH_USERNAME: TEST_USERNAME,
        LIGHTWEIGHT_PUSH_CHANNEL: "FromEnv",
        LIGHTWEIGHT_PUSH_ENDPOINT: server.endpoint,
      };
      const envWins = await runBin(["--sbj", "S", "--msg", "M"], { home, env });
      assert.equal(envWins.status, 0, envWins.stderr);
      assert.equal(server.received[0]?.username, TEST_USERNAME);
      assert.equal(server.received[0]?.channel, `${TEST_PREFIX}_FromEnv`);
      const flagWins = await runBin(["--sbj", "S", "--msg", "M", "-c", "FromFlag"], { home, env });
      assert.equal(flagWins.status, 0, flagWins.stderr);
      assert.equal(server.received[1]?.channel, `${TEST_PREFIX}_FromFlag`);
    } finally {
      await server.close();
    }
  });

  test("a config file with a password that others can read is refused, and nothing is sent", async () => {
    const server = await startPushServer([0]);
    try {
      const home = freshHome();
      const path = writeConfig(
        home,
        { username: TEST_USERNAME, password: TEST_PASSWORD, sharedSecret: TEST_SECRET, channel: "C", endpoint: server.endpoint },
        0o644,
      );
      const result = await runBin(["--sbj", "S", "--msg", "M"], { home });
      assert.equal(result.status, 64);
      assert.match(result.stderr, new RegExp(`config file ${path} holds a password or shared secret but other users may access it`));
      assert.match(result.stderr, /chmod 600/);
      assert.equal(server.received.length, 0);
    } finally {
      await server.close();
    }
  });
});

describe("lightweight-push: exit statuses", () => {
  const cases: readonly [code: number, status: number, message: RegExp][] = [
    [2, 65, /^lightweight-push: authentication failed \(code 2, AUTH_ERROR\): check username and password$/m],
    [3, 66, /refused the request as malformed \(code 3, ILLEGAL_MSG_ERROR\)/],
    [8, 67, /protocol version mismatch \(code 8, VERSION_MISSMATCH\)/],
    [9, 68, /permission denied \(code 9, NO_NOTIFICATION_PERMISSION\)/],
    [4, 69, /message too large to deliver \(code 4, GOOGLE_MSG_TOO_LARGE\)/],
    [1, 75, /gave up after 1 attempt \(code 1, DATABASE_ERROR\)/],
    [6, 1, /send failed \(code 6, GOOGLE_UNKNOWN\)/],
    [42, 1, /send failed \(code 42, UNKNOWN\): unknown result code 42/],
  ];
  for (const [code, status, message] of cases) {
    test(`server code ${code} ends with exit status ${status} and one clear line`, async () => {
      const { result, received } = await sendWith(
        [code],
        (endpoint) => ["-c", "C", "--sbj", "S", "--msg", "M", "-m", "0", "--endpoint", endpoint],
        {
          env: CREDENTIALS_ENV,
        },
      );
      assert.equal(result.status, status, result.stderr);
      assert.equal(received.length, 1);
      assert.equal(result.stdout, "");
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
    });
  }

  test("no server listening: gave up after the attempts (75) with a connection error", async () => {
    // A port that was free a moment ago: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const { port } = probe.address() as { port: number };
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const result = await runBin(
      ["-c", "C", "--sbj", "S", "--msg", "M", "-m", "0", "--endpoint", `http://127.0.0.1:${port}/push/send.php`],
      {
        env: CREDENTIALS_ENV,
      },
    );
    assert.equal(result.status, 75);
    assert.match(result.stderr, /gave up after 1 attempt \(code 4096, CLIENT_CONNECTION_ERROR\): could not connect to the push server/);
  });

  test("a retry prints the failed attempt, the code and the wait, then succeeds (one real 5 s wait)", async () => {
    const { result, received } = await sendWith(
      [5, 0],
      (endpoint) => ["-c", "C", "--sbj", "S", "--msg", "M", "-m", "1", "--endpoint", endpoint],
      {
        env: CREDENTIALS_ENV,
      },
    );
    assert.equal(result.status, 0, result.stderr);
    assert.equal(
      result.stderr,
      "lightweight-push: warning: attempt 1 of 2 failed (code 5, GOOGLE_CONNECTION): the push server could not reach its delivery service; retrying in 5 s\n",
    );
    assert.equal(received.length, 2);
    assert.notEqual(received[0]?.data, received[1]?.data, "each attempt is sealed afresh");
    assert.equal(received[1]?.payload?.msg, "M");
  });
});

describe("lightweight-push: usage", () => {
  test("--help explains flags, environment, config file, exit statuses and examples", async () => {
    const result = await runBin(["--help"]);
    assert.equal(result.status, 0);
    assert.equal(result.stderr, "");
    for (const expected of [
      /^Usage: lightweight-push \[send\] -c CHANNEL --sbj SUBJECT/,
      /--sbj, --subject TEXT/,
      /--msg, --message TEXT/,
      /-s, --state 0\|1/,
      /-t, --time-triggered SECONDS/,
      /-u, --username EMAIL/,
      /-p, --password PASSWORD/,
      /--ss, --shared-secret SECRET/,
      /-m, --max-retries N/,
      /-l, --loglevel LEVEL/,
      /--no-check-ssl-certificate/,
      /--endpoint URL/,
      /--envelope 1\|2/,
      /--timeout SECONDS/,
      /--config FILE/,
      /LIGHTWEIGHT_PUSH_PASSWORD/,
      /chmod 600/,
      /^ {2}65 {3}authentication failed/m,
      /^ {2}75 {3}gave up/m,
      /^ {2}64 {3}bad usage/m,
      /lightweight-push -c MyChannel --sbj "My First Message" --msg "Text"/,
    ]) {
      assert.match(result.stdout, expected);
    }
    assert.equal((await runBin(["send", "-h"])).stdout, result.stdout);
  });

  test("--version prints the package version", async () => {
    const result = await runBin(["--version"]);
    assert.equal(result.status, 0);
    assert.match(result.stdout, /^lightweight-push \d+\.\d+\.\d+\n$/);
  });

  const bad: readonly [what: string, args: readonly string[], message: RegExp][] = [
    ["an unknown option", ["-c", "C", "--sbj", "S", "--msg", "M", "--colour", "red"], /^lightweight-push: unknown option --colour$/m],
    [
      "a state other than 0 or 1",
      ["-c", "C", "--sbj", "S", "--msg", "M", "-s", "2"],
      /state has to be 0 \(normal\) or 1 \(triggered\), got 2/,
    ],
    [
      "a channel with illegal characters",
      ["-c", "my channel", "--sbj", "S", "--msg", "M"],
      /channel "my channel" contains illegal characters/,
    ],
    ["a missing subject", ["-c", "C", "--msg", "M"], /no subject given: use --sbj SUBJECT/],
    ["an option without its value", ["-c", "C", "--msg", "M", "--sbj"], /option --sbj needs a value/],
    [
      "a non-numeric retry count",
      ["-c", "C", "--sbj", "S", "--msg", "M", "-m", "often"],
      /option -m: expected a whole number, got "often"/,
    ],
    ["a stray argument", ["-c", "C", "--sbj", "S", "--msg", "Hello", "World"], /unexpected argument "World"/],
    ["a bad log level", ["-c", "C", "--sbj", "S", "--msg", "M", "-l", "LOUD"], /invalid log level "LOUD"/],
    ["a bad envelope", ["-c", "C", "--sbj", "S", "--msg", "M", "--envelope", "3"], /envelope has to be 1 or 2, got 3/],
  ];
  for (const [what, args, message] of bad) {
    test(`${what} exits 64 with a clear message and sends nothing`, async () => {
      const { result, received } = await sendWith([0], (endpoint) => ["--endpoint", endpoint, "-m", "0", ...args], {
        env: CREDENTIALS_ENV,
      });
      assert.equal(result.status, 64, result.stderr);
      assert.match(result.stderr, message);
      assert.match(result.stderr, /try 'lightweight-push --help'/);
      assert.equal(received.length, 0);
    });
  }

  test("missing credentials name the safe ways to give them, and nothing is sent", async () => {
    const { result, received } = await sendWith([0], (endpoint) => ["-c", "C", "--sbj", "S", "--msg", "M", "--endpoint", endpoint], {
      env: { LIGHTWEIGHT_PUSH_USERNAME: TEST_USERNAME },
    });
    assert.equal(result.status, 64);
    assert.match(result.stderr, /no password given: set LIGHTWEIGHT_PUSH_PASSWORD or "password" in the config file/);
    assert.equal(received.length, 0);
  });
});

describe("lightweight-push: secrets at -l DEBUG", () => {
  test("DEBUG shows settings, their sources and the frame, but never the password or shared secret", async () => {
    const home = freshHome();
    const server = await startPushServer([2]);
    try {
      writeConfig(home, { password: TEST_PASSWORD });
      const result = await runBin(
        [
          "-c",
          "Dbg",
          "--sbj",
          "S",
          "--msg",
          "M",
          "-l",
          "DEBUG",
          "--ss",
          TEST_SECRET,
          "-m",
          "0",
          "--timeout",
          "20",
          "--endpoint",
          server.endpoint,
        ],
        { home, env: { LIGHTWEIGHT_PUSH_USERNAME: TEST_USERNAME } },
      );
      assert.equal(result.status, 65, result.stderr);
      assert.match(result.stderr, /debug: password from config file/);
      assert.match(result.stderr, /debug: sharedSecret from flag --ss/);
      assert.match(result.stderr, /debug: username from LIGHTWEIGHT_PUSH_USERNAME/);
      assert.match(
        result.stderr,
        new RegExp(
          `debug: frame: \\{"username": "${TEST_USERNAME}", "password": "<not shown>", "channel": "${TEST_PREFIX}_Dbg", "version": 0.1, "data": "<encrypted, not shown>"\\}`,
        ),
      );
      assert.match(result.stderr, /authentication failed \(code 2, AUTH_ERROR\)/);
      // runBin has checked that neither secret (nor a masked one) was printed.
    } finally {
      await server.close();
    }
  });

  for (const [what, extra, env] of [
    ["a usage error", ["-s", "7"], CREDENTIALS_ENV],
    ["a connection failure", ["--endpoint", "http://127.0.0.1:9/push/send.php"], CREDENTIALS_ENV],
    [
      "secrets on the command line",
      ["-u", TEST_USERNAME, "-p", TEST_PASSWORD, "--ss", TEST_SECRET, "--endpoint", "http://127.0.0.1:9/x"],
      {},
    ],
  ] as const) {
    test(`DEBUG output of ${what} holds no secret`, async () => {
      const result = await runBin(["-c", "C", "--sbj", "S", "--msg", "M", "-m", "0", "-l", "DEBUG", ...extra], { env });
      assert.notEqual(result.status, 0);
      assert.ok(result.stderr.length > 0);
    });
  }
});

describe("lightweight-push: TLS", () => {
  test("a self-signed certificate is refused unless --no-check-ssl-certificate is given", async () => {
    const server = await startPushServer([0], makeTestCertificate("localhost"));
    try {
      const args = ["-c", "C", "--sbj", "S", "--msg", "M", "-m", "0", "--endpoint", server.endpoint];
      const refused = await runBin(args, { env: CREDENTIALS_ENV });
      assert.equal(refused.status, 75, refused.stderr);
      assert.equal(server.received.length, 0);
      const accepted = await runBin([...args, "--no-check-ssl-certificate"], { env: CREDENTIALS_ENV });
      assert.equal(accepted.status, 0, accepted.stderr);
      assert.equal(server.received[0]?.payload?.msg, "M");
      const viaEnv = await runBin(args, { env: { ...CREDENTIALS_ENV, LIGHTWEIGHT_PUSH_CHECK_SSL_CERTIFICATE: "0" } });
      assert.equal(viaEnv.status, 0, viaEnv.stderr);
    } finally {
      await server.close();
    }
  });
});
