import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { execVariables, formatJsonMessage, formatTextMessage, type ListenedMessage, runExecCommand } from "../../src/cli/listen-output.js";

// Local time is what a user reads; pin it so the expected strings hold anywhere.
process.env.TZ = "UTC";

const base: ListenedMessage = {
  channel: "FrontDoor",
  prefixedChannel: "538113b2_FrontDoor",
  id: "42",
  serverTime: 1_764_850_010,
  envelope: 2,
  payload: { sbj: "Door opened", msg: "by Alice", tt: 1_764_850_000, is_sa: true, st: 1, ts: 1_764_850_005, id: "ab".repeat(16) },
};

describe("text output", () => {
  test("shows time triggered, state, channel and subject on one line and indents every message line", () => {
    assert.equal(formatTextMessage(base), "2025-12-04 12:06:40  TRIGGERED  FrontDoor  Door opened\n    by Alice\n");
    const normal = { ...base, payload: { ...base.payload, st: 0 as const, msg: "line 1\nline 2\r\nline 3" } };
    assert.equal(formatTextMessage(normal), "2025-12-04 12:06:40  normal     FrontDoor  Door opened\n    line 1\n    line 2\n    line 3\n");
    const stateless = { ...base, payload: { sbj: "Backup done", msg: "", tt: 1_764_850_000, is_sa: false, ts: 1_764_850_000 } };
    assert.equal(formatTextMessage(stateless), "2025-12-04 12:06:40  none       FrontDoor  Backup done\n");
  });

  test("terminal control characters from the sender are shown escaped, never emitted", () => {
    const hostile = { ...base, payload: { ...base.payload, sbj: "a\u001b[2Jb\nc", msg: "x\u0007y\u009bz\tt" } };
    const text = formatTextMessage(hostile);
    assert.equal(text, "2025-12-04 12:06:40  TRIGGERED  FrontDoor  a\\u001b[2Jb c\n    x\\u0007y\\u009bz\tt\n");
  });
});

describe("--json output", () => {
  test("one object per line with the documented fields", () => {
    const line = formatJsonMessage({ ...base, payload: { ...base.payload, msg: "two\nlines" } });
    assert.ok(line.endsWith("}\n") && !line.slice(0, -1).includes("\n"));
    assert.deepEqual(JSON.parse(line), {
      channel: "FrontDoor",
      prefixedChannel: "538113b2_FrontDoor",
      id: "42",
      subject: "Door opened",
      message: "two\nlines",
      state: 1,
      timeTriggered: 1_764_850_000,
      timeSent: 1_764_850_005,
      serverTime: 1_764_850_010,
      envelope: 2,
    });
    const stateless = JSON.parse(formatJsonMessage({ ...base, envelope: 1, payload: { sbj: "s", msg: "m", tt: 1, is_sa: false, ts: 2 } }));
    assert.equal(stateless.state, null);
    assert.equal(stateless.envelope, 1);
  });
});

describe("--exec", () => {
  test("the command gets the fields in LWP_* variables and its output is passed on", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const env = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      ...execVariables({ ...base, payload: { ...base.payload, msg: "l1\nl2 $HOME `x`" } }),
    };
    const result = await runExecCommand(
      'printf "%s|%s|%s|%s|%s|%s|%s\\n" "$LWP_SUBJECT" "$LWP_MESSAGE" "$LWP_STATE" "$LWP_CHANNEL" "$LWP_TIME_TRIGGERED" "$LWP_TIME_SENT" "$LWP_ID"; echo oops >&2; exit 3',
      env,
      { stdout: { write: (t) => out.push(t) }, stderr: { write: (t) => err.push(t) } },
    );
    assert.deepEqual(result, { status: 3, signal: null });
    assert.equal(out.join(""), "Door opened|l1\nl2 $HOME `x`|1|FrontDoor|1764850000|1764850005|42\n");
    assert.equal(err.join(""), "oops\n");
    const stateless = execVariables({ ...base, payload: { sbj: "s\u0000t", msg: "", tt: 1, is_sa: false, ts: 2 } });
    assert.equal(stateless.LWP_STATE, "");
    assert.equal(stateless.LWP_SUBJECT, "st");
  });

  test("aborting stops a running command", async () => {
    const controller = new AbortController();
    const running = runExecCommand(
      "sleep 30",
      { PATH: process.env.PATH ?? "/usr/bin:/bin" },
      { stdout: { write: () => {} }, stderr: { write: () => {} } },
      controller.signal,
    );
    setTimeout(() => controller.abort(), 50);
    assert.deepEqual(await running, { status: null, signal: "SIGTERM" });
  });
});
