import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PushPayload } from "lightweightpush/protocol";
import {
  channelName,
  compareNewestFirst,
  type HistoryRecord,
  type MessageRecord,
  notificationContent,
  recordKey,
} from "../src/shared/records.ts";
import { parseChannelList, parseSettings } from "../src/shared/settings.ts";

const valid = { serverUrl: "https://push.example.org", username: "me@example.org", channels: "door, window", sharedSecret: "s" };

describe("settings", () => {
  it("splits the channel list, trimming and dropping blanks and repeats", () => {
    assert.deepEqual(parseChannelList(" door, window,,door , "), ["door", "window"]);
  });

  it("accepts good input and normalises the server URL", () => {
    const parsed = parseSettings(valid);
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.settings, {
      serverUrl: "https://push.example.org/",
      username: "me@example.org",
      channels: ["door", "window"],
      sharedSecret: "s",
    });
  });

  it("names every bad field, including channels with characters the protocol refuses", () => {
    const parsed = parseSettings({ serverUrl: "ftp://x", username: " ", channels: "door, bad channel, wö", sharedSecret: "" });
    assert.ok(!parsed.ok);
    assert.deepEqual(Object.keys(parsed.errors).sort(), ["channels", "serverUrl", "sharedSecret", "username"]);
    assert.match(parsed.errors.channels ?? "", /bad channel, wö/);
    assert.ok(!parseSettings({ ...valid, channels: " , " }).ok, "at least one channel");
  });

  it("keeps the secret exactly as typed, spaces included", () => {
    const parsed = parseSettings({ ...valid, sharedSecret: " with spaces " });
    assert.ok(parsed.ok);
    assert.equal(parsed.settings.sharedSecret, " with spaces ");
  });
});

function message(payload: Partial<PushPayload>, serverTime = 100, receivedAtMs = 1_000): MessageRecord {
  const full: PushPayload = { sbj: "S", msg: "M", tt: 1, is_sa: false, ts: 2, ...payload };
  return {
    key: recordKey("538113b2_door", String(serverTime)),
    kind: "message",
    id: String(serverTime),
    channel: "538113b2_door",
    serverTime,
    receivedAtMs,
    envelope: 1,
    payload: full,
  };
}

describe("history records", () => {
  it("shows channel names without the account prefix", () => {
    assert.equal(channelName("538113b2_MyChannel"), "MyChannel");
    assert.equal(channelName("alertR_notification"), "alertR_notification");
  });

  it("sorts newest first by server time, then by arrival", () => {
    const records: HistoryRecord[] = [message({}, 100, 5), message({}, 300, 1), message({}, 200, 9)];
    assert.deepEqual(
      records.sort(compareNewestFirst).map((r) => r.serverTime),
      [300, 200, 100],
    );
  });

  it("says the state in a notification's words, and triggered ones stay until dismissed", () => {
    const triggered = notificationContent(message({ sbj: "Door", msg: "Opened", is_sa: true, st: 1 }));
    assert.match(triggered.title, /TRIGGERED: Door/);
    assert.equal(triggered.body, "Opened");
    assert.equal(triggered.requireInteraction, true);
    const normal = notificationContent(message({ sbj: "Door", is_sa: true, st: 0 }));
    assert.match(normal.title, /^Normal: Door/);
    assert.equal(normal.requireInteraction, false);
    assert.equal(notificationContent(message({ sbj: "Door" })).title, "Door");
    const error = notificationContent({ key: "k", kind: "error", id: "1", channel: "538113b2_door", serverTime: 1, receivedAtMs: 1 });
    assert.match(error.title, /Undecryptable message on door/);
    assert.equal(error.url, "./#/message/k");
  });
});
