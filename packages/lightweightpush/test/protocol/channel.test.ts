import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { nodeCryptoBackend } from "../../src/client/node-crypto.js";
import { assertValidChannel, isNotificationChannel, isValidChannel, prefixedChannel } from "../../src/protocol/channel.js";
import { webCryptoBackend } from "../../src/protocol/crypto.js";
import { InvalidInputError } from "../../src/protocol/errors.js";

const VALID = ["MyChannel", "x", "c-_.~%41", "ABCxyz0189", "alertR_notification", "-", "%%", "a.b~c"];
const INVALID = ["", "my channel", "a/b", "ä", "a\n", "a+b", "a:b", "#", "a b", "chan\u0000", "ch@nnel", "a,b", "😀", " x"];

describe("channels", () => {
  test("names matching ^[a-zA-Z0-9-_.~%]+$ are accepted, everything else refused with the reference's message", () => {
    for (const channel of VALID) assert.ok(isValidChannel(channel), channel);
    for (const channel of INVALID) {
      assert.ok(!isValidChannel(channel), JSON.stringify(channel));
      assert.throws(
        () => assertValidChannel(channel),
        (error: unknown) => {
          assert.ok(error instanceof InvalidInputError);
          assert.equal(error.message, "Channel contains illegal characters.");
          return true;
        },
      );
    }
  });

  for (const [name, crypto] of [
    ["node:crypto", nodeCryptoBackend],
    ["WebCrypto", webCryptoBackend()],
  ] as const) {
    test(`the wire channel is the first 8 hex digits of SHA-256(username) + "_" + channel (${name})`, async () => {
      assert.equal(await prefixedChannel("my_email@alertr.de", "MyChannel", crypto), "538113b2_MyChannel");
      // Values from Python's hashlib.sha256(username.encode()).hexdigest()[:8].
      assert.equal(await prefixedChannel("jürgen@example.org", "Kanal", crypto), "f3f4b468_Kanal");
      assert.equal(await prefixedChannel("", "x", crypto), "e3b0c442_x");
      // The notification channel is prefixed too when a client sends to it, as the reference does.
      assert.equal(await prefixedChannel("my_email@alertr.de", "alertR_notification", crypto), "538113b2_alertR_notification");
      await assert.rejects(prefixedChannel("my_email@alertr.de", "a/b", crypto), InvalidInputError);
    });
  }

  test("the notification channel is recognised case-insensitively and only unprefixed", () => {
    assert.ok(isNotificationChannel("alertR_notification"));
    assert.ok(isNotificationChannel("ALERTR_NOTIFICATION"));
    assert.ok(!isNotificationChannel("538113b2_alertR_notification"));
    assert.ok(!isNotificationChannel("alertR_notifications"));
  });
});
