// `lightweight-push listen` end to end: the real server in its own process,
// messages sent with the library, the built CLI as a user runs it.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { LightweightPush } from "../../packages/lightweightpush/src/index.js";
import { ListenProcess, SECRET, USERNAME } from "../../packages/lightweightpush/test/cli/listen-helpers.js";
import { runBin } from "../../packages/lightweightpush/test/cli/support/run-bin.js";
import { RealPushServer } from "./support/push-server-process.js";

const PASSWORD = "account password";
const TT = 1_764_850_000; // 2025-12-04 12:06:40 UTC

const lines = (text: string): string[] => text.split("\n").filter((l) => l !== "");
const subjects = (stdout: string): string[] => lines(stdout).map((l) => (JSON.parse(l) as { subject: string }).subject);

describe("lightweight-push listen against lightweight-push-server", () => {
  const server = new RealPushServer();
  const running: ListenProcess[] = [];
  const start = (args: string[], env?: Record<string, string>): ListenProcess => {
    const p = new ListenProcess(["--server", server.url, "-l", "INFO", ...args], env);
    running.push(p);
    return p;
  };
  const sender = (envelope: 1 | 2) => new LightweightPush(USERNAME, PASSWORD, SECRET, { endpoint: server.sendEndpoint, envelope });

  before(async () => {
    await server.addAccount(USERNAME, PASSWORD);
    await server.start();
  });
  after(async () => {
    for (const p of running) p.kill();
    await server.dispose();
  });

  test("a message sent with the library (v1 and v2) is printed, as text and as JSON", { timeout: 90_000 }, async () => {
    const text = start(["-c", "Door"]);
    const json = start(["-c", "Door", "--json"]);
    await text.waitListening();
    await json.waitListening();
    await sender(1).sendMsg("Front door", "Opened\nby Alice", "Door", { state: 1, timeTriggered: TT });
    await sender(2).sendMsg("Back door", "Closed", "Door", { state: 0, timeTriggered: TT + 60 });
    await text.waitFor(
      ({ stdout }) =>
        stdout ===
        "2025-12-04 12:06:40  TRIGGERED  Door  Front door\n    Opened\n    by Alice\n" +
          "2025-12-04 12:07:40  normal     Door  Back door\n    Closed\n",
      "both messages as text",
    );
    await json.waitFor(({ stdout }) => lines(stdout).length === 2, "both messages as JSON");
    const [v1, v2] = lines(json.stdout).map((l) => JSON.parse(l));
    assert.deepEqual([v1.subject, v1.message, v1.state, v1.envelope, v1.timeTriggered], ["Front door", "Opened\nby Alice", 1, 1, TT]);
    assert.deepEqual([v2.subject, v2.message, v2.state, v2.envelope], ["Back door", "Closed", 0, 2]);
    assert.ok(Number(v2.id) > Number(v1.id), "server ids in order");
    assert.equal(await text.stop("SIGINT"), 0);
    assert.equal(await json.stop("SIGTERM"), 0);
    for (const p of [text, json]) assert.ok(!`${p.stdout}${p.stderr}`.includes(SECRET), "secret in output");
  });

  test("the command sends to the server (one request per connection, over node:net), listen prints it", { timeout: 90_000 }, async () => {
    const listener = start(["-c", "Cli", "--json"]);
    await listener.waitListening();
    const credentials = {
      LIGHTWEIGHT_PUSH_USERNAME: USERNAME,
      LIGHTWEIGHT_PUSH_SHARED_SECRET: SECRET,
      LIGHTWEIGHT_PUSH_ENDPOINT: server.sendEndpoint,
    };
    for (const envelope of ["1", "2"]) {
      const sent = await runBin(["-c", "Cli", "--sbj", `from the command, v${envelope}`, "--envelope", envelope, "-m", "0"], {
        env: { ...credentials, LIGHTWEIGHT_PUSH_PASSWORD: PASSWORD },
        stdin: "piped\ntext",
      });
      assert.deepEqual([sent.status, sent.stdout, sent.stderr], [0, "", ""]);
    }
    await listener.waitFor(({ stdout }) => lines(stdout).length === 2, "both messages");
    const shown = lines(listener.stdout).map((l) => JSON.parse(l) as { subject: string; message: string; envelope: number });
    assert.deepEqual(
      shown.map((m) => [m.subject, m.message, m.envelope]),
      [
        ["from the command, v1", "piped\ntext", 1],
        ["from the command, v2", "piped\ntext", 2],
      ],
    );
    const refused = await runBin(["-c", "Cli", "--sbj", "wrong password", "--msg", "x"], {
      env: { ...credentials, LIGHTWEIGHT_PUSH_PASSWORD: "not the password" },
    });
    assert.equal(refused.status, 65);
    assert.match(refused.stderr, /authentication failed \(code 2, AUTH_ERROR\)/);
    assert.equal(await listener.stop(), 0);
  });

  test("a wrong shared secret gives an error line per message and no message line", { timeout: 90_000 }, async () => {
    const wrong = start(["-c", "Alarm"], { LIGHTWEIGHT_PUSH_SHARED_SECRET: "not the secret" });
    await wrong.waitListening();
    await sender(1).sendMsg("Alarm", "v1", "Alarm", { state: 1 });
    await sender(2).sendMsg("Alarm", "v2", "Alarm", { state: 1 });
    await wrong.waitFor(({ stderr }) => (stderr.match(/could not be decrypted/g) ?? []).length === 2, "two error lines");
    assert.match(wrong.stderr, /^lightweight-push: message \d+ on channel Alarm could not be decrypted/m);
    assert.equal(wrong.stdout, "");
    assert.equal(await wrong.stop(), 0);
    assert.ok(!wrong.stderr.includes("not the secret"));
  });

  test("the server killed and restarted mid-stream: every message is shown exactly once, in order", { timeout: 90_000 }, async () => {
    // "Quiet" gets nothing before the crash, so there is no last id to resume from on that channel.
    const listener = start(["-c", "Stream", "-c", "Quiet", "--json"]);
    await listener.waitListening(2);
    const send = (n: number) => sender(n % 2 === 0 ? 2 : 1).sendMsg(`m${n}`, `text ${n}`, "Stream");
    for (let n = 1; n <= 3; n++) await send(n);
    await listener.waitFor(({ stdout }) => lines(stdout).length === 3, "m1..m3");

    await server.kill();
    await listener.waitFor(({ stderr }) => /channel Stream: .+; reconnecting in \d+\.\d s \(attempt 1\)/.test(stderr), "reconnect line");
    await server.start();
    // Acknowledged while the listener may still be waiting to reconnect: they come from the cache.
    for (let n = 4; n <= 6; n++) await send(n);
    await sender(2).sendMsg("quiet 1", "", "Quiet");
    await listener.waitFor(({ stderr }) => (stderr.match(/reconnected/g) ?? []).length === 2, "both reconnected");
    for (let n = 7; n <= 8; n++) await send(n);
    await listener.waitFor(({ stdout }) => lines(stdout).length >= 9, "m1..m8 and quiet 1");

    // A graceful restart too (the server ends the stream itself).
    await server.stop();
    await server.start();
    await send(9);
    await listener.waitFor(({ stdout }) => lines(stdout).length >= 10, "m9");
    const shown = subjects(listener.stdout);
    assert.deepEqual(
      shown.filter((s) => s.startsWith("m")),
      ["m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9"],
    );
    assert.deepEqual(
      shown.filter((s) => s.startsWith("quiet")),
      ["quiet 1"],
    );
    assert.equal(await listener.stop(), 0);
  });

  test("--since all replays the cached messages, also after a restart, then continues live", { timeout: 90_000 }, async () => {
    await sender(1).sendMsg("cached 1", "", "Replay");
    await sender(2).sendMsg("cached 2", "", "Replay");
    await server.stop();
    await server.start();
    const listener = start(["-c", "Replay", "--since", "all", "--json"]);
    await listener.waitFor(({ stdout }) => lines(stdout).length === 2, "two replayed");
    await sender(1).sendMsg("live", "", "Replay");
    await listener.waitFor(({ stdout }) => lines(stdout).length === 3, "one live");
    assert.deepEqual(subjects(listener.stdout), ["cached 1", "cached 2", "live"]);
    assert.equal(await listener.stop(), 0);
  });
});
