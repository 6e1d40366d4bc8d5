// `lightweight-push listen` against a small stand-in server that the test
// controls event by event (hostile events, cut streams). The same command
// against the real server is in test/e2e/listen.test.ts.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { nodeCryptoBackend } from "../../src/client/node-crypto.js";
import { LightweightPush } from "../../src/index.js";
import { prefixedChannel } from "../../src/protocol/channel.js";
import { FakePushServer } from "./listen-fake-server.js";
import { ListenProcess, SECRET, USERNAME } from "./listen-helpers.js";

const TT = 1_764_850_000; // 2025-12-04 12:06:40 UTC

describe("lightweight-push listen (stand-in server)", () => {
  const server = new FakePushServer();
  const running: ListenProcess[] = [];
  const start = (args: string[], env?: Record<string, string>): ListenProcess => {
    const p = new ListenProcess(["--server", server.url, "-l", "INFO", ...args], env);
    running.push(p);
    return p;
  };
  const sender = (envelope: 1 | 2) =>
    new LightweightPush(USERNAME, "password", SECRET, { endpoint: `${server.url}/push/send.php`, envelope });

  before(() => server.start());
  after(async () => {
    for (const p of running) p.kill();
    await server.stop();
  });

  test("prints v1 and v2 messages readably: time triggered, state, channel, subject, message lines indented", {
    timeout: 60_000,
  }, async () => {
    const listener = start(["-c", "Door", "-c", "Garage"]);
    await listener.waitListening(2);
    await sender(1).sendMsg("Front door", "Opened\nby Alice", "Door", { state: 1, timeTriggered: TT });
    await sender(2).sendMsg("Garage", "Closed", "Garage", { state: 0, timeTriggered: TT + 60 });
    await sender(2).sendMsg("Heartbeat", "", "Door", { timeTriggered: TT + 120 });
    const expected =
      "2025-12-04 12:06:40  TRIGGERED  Door  Front door\n    Opened\n    by Alice\n" +
      "2025-12-04 12:07:40  normal     Garage  Garage\n    Closed\n" +
      "2025-12-04 12:08:40  none       Door  Heartbeat\n";
    await listener.waitFor(({ stdout }) => stdout === expected, "three messages");
    assert.equal(await listener.stop("SIGINT"), 0);
    assert.ok(!listener.stdout.includes(SECRET) && !listener.stderr.includes(SECRET));
  });

  test("--json prints one object per line with the documented fields", { timeout: 60_000 }, async () => {
    const listener = start(["-c", "Door", "--json"]);
    await listener.waitListening();
    const before = Math.floor(Date.now() / 1000);
    await sender(2).sendMsg("Door", "Opened\ttwice", "Door", { state: 1, timeTriggered: TT });
    await sender(1).sendMsg("Door", "Closed", "Door", { timeTriggered: TT + 1 });
    await listener.waitFor(({ stdout }) => stdout.split("\n").length === 3, "two JSON lines");
    const [first, second] = listener.stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line));
    const prefixed = await prefixedChannel(USERNAME, "Door", nodeCryptoBackend);
    assert.equal(first.timeSent >= before && first.serverTime >= before, true);
    assert.deepEqual(
      { ...first, timeSent: 0, serverTime: 0 },
      {
        channel: "Door",
        prefixedChannel: prefixed,
        id: String(server.events.at(-2)!.id),
        subject: "Door",
        message: "Opened\ttwice",
        state: 1,
        timeTriggered: TT,
        timeSent: 0,
        serverTime: 0,
        envelope: 2,
      },
    );
    assert.equal(second.state, null);
    assert.equal(second.envelope, 1);
    assert.equal(second.message, "Closed");
    assert.equal(await listener.stop("SIGTERM"), 0);
  });

  test("--exec runs the command once per message, in order, with the fields in LWP_* and without the secret", {
    timeout: 60_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "lwp-exec-"));
    const listener = start(["-c", "Door", "--exec", `env > "${dir}/$LWP_ID.env"; echo "ran $LWP_ID"`], {
      OTHER_COPY: SECRET,
      KEEP_ME: "visible",
    });
    await listener.waitListening();
    await sender(2).sendMsg("Door", "Opened\nline two", "Door", { state: 1, timeTriggered: TT });
    await sender(1).sendMsg("Window", "", "Door", { timeTriggered: TT + 5 });
    const ids = server.events.slice(-2).map((e) => String(e.id));
    await listener.waitFor(({ stdout }) => stdout === `ran ${ids[0]}\nran ${ids[1]}\n`, "both commands ran");
    assert.deepEqual(readdirSync(dir).sort(), ids.map((id) => `${id}.env`).sort());
    const env = readFileSync(join(dir, `${ids[0]}.env`), "utf8");
    for (const line of [
      "LWP_SUBJECT=Door",
      "LWP_MESSAGE=Opened\nline two",
      "LWP_STATE=1",
      "LWP_CHANNEL=Door",
      `LWP_TIME_TRIGGERED=${TT}`,
      `LWP_ID=${ids[0]}`,
      "KEEP_ME=visible",
    ]) {
      assert.ok(env.includes(`${line}\n`), `${line} in\n${env}`);
    }
    assert.match(env, /^LWP_TIME_SENT=\d{10}$/m);
    assert.match(readFileSync(join(dir, `${ids[1]}.env`), "utf8"), /^LWP_STATE=$/m);
    for (const file of readdirSync(dir)) assert.ok(!readFileSync(join(dir, file), "utf8").includes(SECRET), `secret in ${file}`);
    assert.equal(await listener.stop(), 0);
    rmSync(dir, { recursive: true, force: true });
  });

  test("an event that does not decrypt or parse is an error line with its id and channel, never a message", {
    timeout: 60_000,
  }, async () => {
    const listener = start(["-c", "Door"]);
    await listener.waitListening();
    const channel = await prefixedChannel(USERNAME, "Door", nodeCryptoBackend);
    const garbage = server.inject(channel, "bm90IGEgbWVzc2FnZQ==");
    const v2garbage = server.inject(channel, "v2.AAAA");
    await new LightweightPush(USERNAME, "password", "another secret", { endpoint: `${server.url}/push/send.php`, envelope: 2 }).sendMsg(
      "Forged",
      "x",
      "Door",
    );
    const wrongSecret = server.events.at(-1)!;
    await sender(1).sendMsg("Real", "y", "Door", { timeTriggered: TT });
    await listener.waitFor(({ stdout }) => stdout.includes("Real"), "the real message");
    for (const e of [garbage, v2garbage, wrongSecret]) {
      assert.match(listener.stderr, new RegExp(`lightweight-push: message ${e.id} on channel Door could not be decrypted`));
    }
    assert.equal(listener.stdout, "2025-12-04 12:06:40  none       Door  Real\n    y\n");
    assert.equal(await listener.stop(), 0);
  });

  test("a v2 message delivered again under another server id is shown once", {
    timeout: 60_000,
  }, async () => {
    const listener = start(["-c", "Door", "--json"]);
    await listener.waitListening();
    const channel = await prefixedChannel(USERNAME, "Door", nodeCryptoBackend);
    await sender(2).sendMsg("v2 once", "", "Door");
    const v2 = server.events.at(-1)!;
    server.inject(channel, v2.payload);
    await sender(1).sendMsg("end", "", "Door");
    await listener.waitFor(({ stdout }) => stdout.includes('"end"'), "end marker");
    assert.deepEqual(
      listener.stdout
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l).subject),
      ["v2 once", "end"],
    );
    assert.equal(await listener.stop(), 0);
  });

  test("after the server goes away and comes back, every message is shown exactly once", { timeout: 60_000 }, async () => {
    const listener = start(["-c", "Door", "--json"]);
    await listener.waitListening();
    const send = (n: number) => sender(n % 2 === 0 ? 1 : 2).sendMsg(`m${n}`, "", "Door", { timeTriggered: TT });
    await send(1);
    await send(2);
    await listener.waitFor(({ stdout }) => stdout.includes('"m2"'), "m2");
    await server.stop();
    // Sent while the listener is cut off: the server stores them, the listener must fetch them on reconnect.
    await server.start();
    await send(3);
    await send(4);
    await listener.waitFor(({ stderr }) => /channel Door: .*reconnecting in \d+\.\d s \(attempt 1\)/.test(stderr), "reconnect line");
    await listener.waitFor(({ stderr }) => stderr.includes("channel Door: reconnected"), "reconnected");
    await send(5);
    await listener.waitFor(({ stdout }) => stdout.includes('"m5"'), "m5");
    const subjects = listener.stdout
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l).subject);
    assert.deepEqual(subjects, ["m1", "m2", "m3", "m4", "m5"]);
    // Resumed after m2, the last event seen before the cut.
    assert.equal(server.requests.at(-1)!.lastEventId, String(server.events.at(-4)!.id));
    assert.equal(await listener.stop(), 0);
  });

  test("--since all replays the cache before live messages", { timeout: 60_000 }, async () => {
    const channel = "Replay";
    await sender(1).sendMsg("old 1", "", channel, { timeTriggered: TT });
    await sender(2).sendMsg("old 2", "", channel, { timeTriggered: TT });
    const listener = start(["-c", channel, "--since", "all", "--json"]);
    await listener.waitFor(({ stdout }) => stdout.split("\n").length === 3, "two replayed");
    await sender(1).sendMsg("new", "", channel, { timeTriggered: TT });
    await listener.waitFor(({ stdout }) => stdout.split("\n").length === 4, "one live");
    assert.deepEqual(
      listener.stdout
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l).subject),
      ["old 1", "old 2", "new"],
    );
    assert.equal(server.requests.at(-1)!.url.endsWith("?since=all"), true);
    assert.equal(await listener.stop(), 0);
  });

  test("stops with status 0 when its standard output is closed (listen | head -1)", { timeout: 60_000 }, async () => {
    const listener = start(["-c", "Door", "--json"]);
    await listener.waitListening();
    await sender(1).sendMsg("first", "", "Door");
    await listener.waitFor(({ stdout }) => stdout.includes('"first"'), "first");
    listener.child.stdout!.destroy();
    await sender(1).sendMsg("second", "", "Door");
    await sender(1).sendMsg("third", "", "Door");
    const code = await listener.exited();
    assert.equal(code, 0);
    assert.match(listener.stderr, /standard output closed; stopping/);
  });

  test("a server that refuses the subscription for good (wrong --server) ends the command with status 1", { timeout: 60_000 }, async () => {
    const p = new ListenProcess(["--server", `${server.url}/not-here`, "-c", "Door", "-c", "Garage"]);
    running.push(p);
    assert.equal(await p.exited(), 1);
    assert.match(p.stderr, /^lightweight-push: channel (Door|Garage): the server refused the subscription with HTTP 404 \(is --server/m);
    assert.equal(p.stdout, "");
  });

  test("--help shows examples; bad settings exit 64 without connecting", { timeout: 60_000 }, async () => {
    const help = start(["--help"]);
    assert.equal(await help.exited(), 0);
    assert.match(help.stdout, /^Usage: lightweight-push listen/);
    assert.match(help.stdout, /\nExamples:\n( {2}.*\n)* {2}lightweight-push listen -c \S+ --exec /);
    const requests = server.requests.length;
    for (const args of [["-c", "bad/channel"], ["-c", "Door", "--since", "yesterday"], []]) {
      const p = start(args);
      assert.equal(await p.exited(), 64, args.join(" "));
      assert.match(p.stderr, /lightweight-push: .+\nlightweight-push: try 'lightweight-push listen --help'\n$/);
    }
    const noSecret = start(["-c", "Door"], { LIGHTWEIGHT_PUSH_SHARED_SECRET: "" });
    assert.equal(await noSecret.exited(), 64);
    assert.match(noSecret.stderr, /no shared secret/);
    assert.equal(server.requests.length, requests);
  });
});
