import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { nodeCryptoBackend } from "../../src/client/node-crypto.js";
import { secureRandom } from "../../src/protocol/crypto.js";
import {
  CLIENT_VERSION,
  isCompatibleVersion,
  parseReply,
  SERVER_VERSION,
  sealedFrameSerializer,
  serializeFrame,
} from "../../src/protocol/frame.js";
import { sealMessage } from "../../src/protocol/message.js";

describe("frame", () => {
  test("is written byte for byte as the original client writes it, version as the float 0.1", () => {
    const frame = serializeFrame({ username: "jürgen@example.org", password: 'p"w\\', channel: "538113b2_MyChannel", data: "AAEC+/==" });
    assert.equal(
      frame,
      '{"username": "j\\u00fcrgen@example.org", "password": "p\\"w\\\\", "channel": "538113b2_MyChannel", "version": 0.1, "data": "AAEC+/=="}',
    );
    const parsed = JSON.parse(frame) as Record<string, unknown>;
    assert.equal(parsed.version, 0.1);
    assert.equal(parsed.password, 'p"w\\');
  });

  test("the serialiser for sealed data writes the same bytes as serializeFrame, for v1 and v2 data", async () => {
    const account = { username: "jürgen@example.org", password: 'p"w\\', channel: "f3f4b468_Kanal" };
    const toFrame = sealedFrameSerializer(account.username, account.password, account.channel);
    for (const envelope of [1, 2] as const) {
      for (const message of ["", "m", "x".repeat(2000), "😀\n".repeat(100)]) {
        const { data } = await sealMessage({ subject: "s", message, timeTriggered: 1 }, 2, {
          username: account.username,
          sharedSecret: "secret",
          prefixedChannel: account.channel,
          envelope,
          crypto: nodeCryptoBackend,
          random: secureRandom,
        });
        assert.equal(toFrame(data), serializeFrame({ ...account, data }));
      }
    }
  });

  test("the reference server (0.101) accepts our version and refuses other first decimals", () => {
    assert.ok(isCompatibleVersion(Number(CLIENT_VERSION), SERVER_VERSION));
    assert.ok(isCompatibleVersion(0.15, SERVER_VERSION));
    assert.ok(!isCompatibleVersion(0.2, SERVER_VERSION));
    assert.ok(!isCompatibleVersion(0.09, SERVER_VERSION));
  });
});

describe("reply parsing", () => {
  test("reads the code from Code (service) or code (web bridge)", () => {
    assert.equal(parseReply(200, '{"Code": 0}'), 0);
    assert.equal(parseReply(200, '{"Code": 8, "version": 0.101}'), 8);
    assert.equal(parseReply(200, '{"code": 10, "reason": "socket"}'), 10);
    assert.equal(parseReply(200, '{"code": 0}'), 0);
    assert.equal(parseReply(200, '{"Code": 77}'), 77);
    assert.equal(parseReply(200, '{"Code": 2, "code": 0}'), 2);
  });

  test("any non-200 status is WEB_BRIDGE_ERROR (10), whatever the body says", () => {
    for (const status of [201, 204, 301, 400, 404, 500, 502, 503]) assert.equal(parseReply(status, '{"Code": 0}'), 10, String(status));
  });

  test("garbage, empty or oddly typed replies are WEB_BRIDGE_ERROR (10)", () => {
    for (const body of [
      "",
      "Bad Gateway",
      "<html>",
      "null",
      "[]",
      "[0]",
      "0",
      '"0"',
      "{}",
      '{"Code": "0"}',
      '{"Code": 1.5}',
      '{"Code": null}',
      '{"Code": true}',
      "{",
    ]) {
      assert.equal(parseReply(200, body), 10, JSON.stringify(body));
    }
  });
});
