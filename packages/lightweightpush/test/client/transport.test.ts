import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { createServer as createNetServer } from "node:net";
import { describe, test } from "node:test";
import { buildPushRequest, nodeTransport } from "../../src/client/transport.js";

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

describe("node transport", () => {
  test("a kept-alive connection the server dropped is retried at once on a new one, not after a retry wait", async () => {
    // A raw server: the first request on each connection gets a kept-alive
    // reply; a second request on the same connection is cut off unanswered,
    // as when the server restarted between two sends.
    const requestsPerSocket: number[] = [];
    const server = createNetServer((socket) => {
      const index = requestsPerSocket.push(0) - 1;
      socket.on("data", (chunk) => {
        if (!chunk.toString("latin1").includes("\r\n\r\n")) return;
        requestsPerSocket[index] = (requestsPerSocket[index] ?? 0) + 1;
        if (requestsPerSocket[index] === 1) {
          socket.write(
            'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\nConnection: keep-alive\r\n\r\n{"Code": 0}',
          );
        } else {
          socket.destroy();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    // Node's global agent keeps connections alive, as a long-lived sender's does.
    const transport = nodeTransport();
    const request = buildPushRequest(`http://127.0.0.1:${port}/push/send.php`, "{}");
    try {
      const first = await transport(request, { timeoutMs: 10_000 });
      const second = await transport(request, { timeoutMs: 10_000 });
      assert.equal(first.body, '{"Code": 0}');
      assert.equal(second.body, '{"Code": 0}');
      assert.deepEqual(requestsPerSocket, [2, 1], "the second send went out on the kept-alive socket, then once more on a new one");
    } finally {
      server.close();
    }
  });
});
