import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { buildPushRequest } from "../../src/client/transport.js";

describe("push request", () => {
  test("is a form POST whose body is what Python's urlencode (the original client) writes", () => {
    const frame =
      '{"username": "j\\u00fcrgen@example.org", "password": "p w!*()\'~", "channel": "538113b2_c-_.~%41", "version": 0.1, "data": "AAEC+/=="}';
    const request = buildPushRequest("https://push.alertr.de/push/send.php", frame);
    assert.equal(request.url, "https://push.alertr.de/push/send.php");
    assert.equal(request.method, "POST");
    assert.deepEqual(request.headers, { "content-type": "application/x-www-form-urlencoded" });
    // From Python 3: urllib.parse.urlencode({"data": frame}).
    assert.equal(
      request.body,
      "data=%7B%22username%22%3A+%22j%5Cu00fcrgen%40example.org%22%2C+%22password%22%3A+%22p+w%21%2A%28%29%27~%22%2C+%22channel%22%3A+%22538113b2_c-_.~%2541%22%2C+%22version%22%3A+0.1%2C+%22data%22%3A+%22AAEC%2B%2F%3D%3D%22%7D",
    );
    assert.equal(new URLSearchParams(request.body).get("data"), frame);
  });

  test("every printable ASCII character survives form decoding", () => {
    let frame = "";
    for (let c = 0x20; c < 0x7f; c++) frame += String.fromCharCode(c);
    const body = buildPushRequest("http://127.0.0.1/", frame).body;
    assert.match(body, /^data=[A-Za-z0-9_.~%+-]*$/);
    assert.equal(new URLSearchParams(body).get("data"), frame);
  });
});
