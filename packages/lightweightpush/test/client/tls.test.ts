/**
 * Certificate checks of the built-in transport against a local HTTPS
 * server whose self-signed certificate is made at test time.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { LightweightPush } from "../../src/client/lightweight-push.js";
import { ResultCode } from "../../src/protocol/codes.js";
import { SendError } from "../../src/protocol/errors.js";
import { type LocalPushServer, startLocalPushServer } from "./support/local-push-server.js";
import { ManualClock } from "./support/manual-clock.js";
import { makeTestCertificate } from "./support/test-certificate.js";

describe("TLS certificate checks", () => {
  let server: LocalPushServer;
  before(async () => {
    server = await startLocalPushServer({ replies: () => [200, '{"Code": 0}'], tls: makeTestCertificate("localhost") });
  });
  after(() => server.close());

  test("by default a self-signed certificate is refused, nothing is delivered", async () => {
    const push = new LightweightPush("u@example.org", "pw", "secret", { endpoint: server.endpoint, clock: new ManualClock(0) });
    const error = await push.sendMsg("s", "m", "x", { maxRetries: 0 }).then(
      () => assert.fail("the send must fail"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof SendError);
    assert.equal(error.code, ResultCode.CLIENT_CONNECTION_ERROR);
    assert.equal(server.requests.length, 0);
  });

  test("checkCertificate: false sends over TLS anyway", async () => {
    const push = new LightweightPush("u@example.org", "pw", "secret", {
      endpoint: server.endpoint,
      clock: new ManualClock(0),
      checkCertificate: false,
    });
    assert.equal((await push.sendMsg("s", "m", "x", { maxRetries: 0 })).attempts, 1);
    assert.equal(server.requests.length, 1);
    assert.match(server.requests[0]?.frame ?? "", /"channel": "[0-9a-f]{8}_x"/);
  });
});
