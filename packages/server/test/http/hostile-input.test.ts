import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import http from "node:http";
import { after, before, describe, it } from "node:test";
import { ResultCode } from "lightweightpush/protocol";
import { storageFactories } from "../helpers/storage-factories.js";
import { addTestAccount, formBody, pythonFrame, startTestServer, type TestServer } from "../helpers/test-server.js";

const USER = "target@example.org";
const PASSWORD = "target password";

/** A deterministic pseudo-random generator, so a failure can be reproduced. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random frame-like text: mutations of a valid frame, random JSON values and random bytes. */
function randomFrame(random: () => number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const values = ['"x"', "1", "0.1", "null", "true", "[]", "{}", '"\\ud800"', "-0", "1e999", `"${"a".repeat(50)}"`, "NaN"];
  const valid = pythonFrame({ username: USER, password: "wrong password", channel: "0123abcd_c", data: "AAAA" });
  switch (Math.floor(random() * 5)) {
    case 0: {
      // Cut or splice a valid frame.
      const at = Math.floor(random() * valid.length);
      return random() < 0.5 ? valid.slice(0, at) : valid.slice(0, at) + pick(["}", '"', "\\", ",", ":", "\u0000", "{"]) + valid.slice(at);
    }
    case 1: {
      const keys = ["username", "password", "channel", "version", "data", "extra"];
      const members = keys.filter(() => random() < 0.7).map((k) => `"${k}": ${pick(values)}`);
      return `{${members.join(", ")}}`;
    }
    case 2:
      return pick(values);
    case 3:
      return randomBytes(Math.floor(random() * 200)).toString("latin1");
    default:
      return "[".repeat(Math.floor(random() * 5000));
  }
}

for (const factory of storageFactories()) {
  describe(`hostile input (${factory.name})`, () => {
    let fixture: Awaited<ReturnType<typeof factory.create>>;
    let t: TestServer;

    before(async () => {
      fixture = await factory.create();
      t = await startTestServer(fixture, { listen: true, config: { bruteForceMaxFailures: 1_000_000, bruteForceAddressMaxFailures: 0 } });
      await addTestAccount(t.storage, USER, PASSWORD);
    });
    after(async () => {
      await t.close();
      await fixture.cleanup();
    });

    const rawPost = (body: Buffer | string, contentType = "application/x-www-form-urlencoded") =>
      t.server.app.inject({ method: "POST", url: "/push/send.php", payload: body, headers: { "content-type": contentType } });

    it("answers malformed JSON, wrong types and invalid form encoding with 3", async () => {
      for (const body of [
        formBody("{"),
        formBody('{"username": "a"'),
        formBody(`{"username": ["${USER}"], "password": "${PASSWORD}", "channel": "0123abcd_c", "version": 0.1, "data": "x"}`),
        formBody(`{"username": "${USER}", "password": {"p": 1}, "channel": "0123abcd_c", "version": 0.1, "data": "x"}`),
        formBody(`{"username": "${USER}", "password": "${PASSWORD}", "channel": "0123abcd_c", "version": true, "data": "x"}`),
        formBody(`{"username": "${USER}", "password": "${PASSWORD}", "channel": "0123abcd_c", "version": 0.1, "data": "x"} trailing`),
        "data=%zz",
        "data=%E2%82",
      ]) {
        const response = await rawPost(body);
        assert.equal(response.statusCode, 200, body);
        assert.equal(JSON.parse(response.body).Code, ResultCode.ILLEGAL_MSG_ERROR, body);
      }
    });

    it("answers invalid UTF-8, raw or percent-encoded, with 3", async () => {
      const raw = Buffer.concat([Buffer.from("data="), Buffer.from([0xc3, 0x28, 0xff, 0xfe])]);
      assert.equal(JSON.parse((await rawPost(raw)).body).Code, ResultCode.ILLEGAL_MSG_ERROR);
      assert.equal(JSON.parse((await rawPost("data=%C3%28")).body).Code, ResultCode.ILLEGAL_MSG_ERROR);
      // A lone surrogate escape inside the JSON is valid JSON; the frame is then judged on its fields (wrong password).
      const frame = `{"username": "${USER}", "password": "\\ud800", "channel": "0123abcd_c", "version": 0.1, "data": "x"}`;
      assert.equal(JSON.parse((await rawPost(formBody(frame))).body).Code, ResultCode.AUTH_ERROR);
    });

    it("answers a huge body with a clear code 4, over a real socket too, and keeps serving", async () => {
      const huge = `data=${"A".repeat(5 * 1024 * 1024)}`;
      const response = await rawPost(huge);
      assert.equal(JSON.parse(response.body).Code, ResultCode.GOOGLE_MSG_TOO_LARGE);
      const overSocket = await new Promise<string>((resolve) => {
        const request = http.request(
          `${t.url}/push/send.php`,
          { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" } },
          (res) => {
            let text = "";
            res.setEncoding("utf8");
            res.on("data", (c: string) => {
              text += c;
            });
            res.on("end", () => resolve(text));
          },
        );
        request.on("error", (error) => resolve(`error: ${error.message}`));
        request.end(huge);
      });
      // Either the clear answer arrived, or the server cut the upload short after answering; both leave nothing stored.
      if (!overSocket.startsWith("error:")) assert.equal(JSON.parse(overSocket).Code, ResultCode.GOOGLE_MSG_TOO_LARGE);
      const health = await fetch(`${t.url}/healthz`);
      assert.equal(health.status, 200);
    });

    it("answers each of a thousand random frames with a code, stores nothing and keeps serving", async () => {
      const random = prng(20261204);
      const seen = new Map<number, number>();
      for (let i = 0; i < 1000; i++) {
        const text = randomFrame(random);
        const body = i % 3 === 0 ? Buffer.from(`data=${text}`, "latin1") : formBody(text);
        const response = await rawPost(body);
        assert.equal(response.statusCode, 200, `frame ${i}: ${JSON.stringify(text).slice(0, 200)}`);
        const reply = JSON.parse(response.body) as { Code?: number; code?: number };
        const code = reply.Code ?? reply.code;
        assert.ok(
          code === ResultCode.ILLEGAL_MSG_ERROR ||
            code === ResultCode.AUTH_ERROR ||
            code === ResultCode.VERSION_MISSMATCH ||
            code === ResultCode.WEB_BRIDGE_ERROR,
          `frame ${i} answered ${response.body}`,
        );
        seen.set(code as number, (seen.get(code as number) ?? 0) + 1);
      }
      assert.ok((seen.get(ResultCode.ILLEGAL_MSG_ERROR) ?? 0) > 100, `codes seen: ${JSON.stringify([...seen])}`);
      assert.equal(await t.storage.countMessages(), 0);
      const ok = await rawPost(formBody(pythonFrame({ username: USER, password: PASSWORD, channel: "0123abcd_c", data: "AAAA" })));
      assert.equal(ok.body, '{"Code": 0}');
      assert.equal(await t.storage.countMessages(), 1);
    });
  });
}
