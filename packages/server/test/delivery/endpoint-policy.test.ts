/**
 * Which push endpoints the server posts to: the real browsers' push
 * services by default, nothing else (the server must not become a way to
 * make requests to arbitrary URLs).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultConfig } from "../../src/config/config.js";
import { isAllowedEndpoint } from "../../src/delivery/index.js";

const hosts = defaultConfig.webPushEndpointHosts;

test("the default list accepts the endpoints of Chrome, Firefox, Edge and Safari", () => {
  for (const endpoint of [
    "https://fcm.googleapis.com/fcm/send/dGVzdA:APA91bHd",
    "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABh",
    "https://wns2-par02p.notify.windows.com/w/?token=BQYAAAB",
    "https://web.push.apple.com/QGuQyavXutnMH",
  ]) {
    assert.equal(isAllowedEndpoint(endpoint, hosts), true, endpoint);
  }
});

test("the default list refuses other hosts, plain HTTP, addresses and credentials", () => {
  for (const endpoint of [
    "https://evil.example.com/push",
    "https://notify.windows.com.evil.example.com/w/",
    "https://fcm.googleapis.com.evil.example.com/fcm/send/x",
    "http://fcm.googleapis.com/fcm/send/x",
    "https://127.0.0.1/push",
    "https://[::1]/push",
    "https://user:pw@fcm.googleapis.com/fcm/send/x",
    "file:///etc/passwd",
    "not a url",
  ]) {
    assert.equal(isAllowedEndpoint(endpoint, hosts), false, endpoint);
  }
});

test("an http origin in the list allows exactly that origin; * allows any HTTPS host", () => {
  assert.equal(isAllowedEndpoint("http://127.0.0.1:4567/push/1", "http://127.0.0.1:4567"), true);
  assert.equal(isAllowedEndpoint("http://127.0.0.1:4568/push/1", "http://127.0.0.1:4567"), false);
  assert.equal(isAllowedEndpoint("https://push.example.org/x", "*"), true);
  assert.equal(isAllowedEndpoint("http://push.example.org/x", "*"), false);
});
