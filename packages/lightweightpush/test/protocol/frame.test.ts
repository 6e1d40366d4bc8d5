import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CLIENT_VERSION, isCompatibleVersion, parseReply, SERVER_VERSION, serializeFrame } from "../../src/protocol/frame.js";

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
