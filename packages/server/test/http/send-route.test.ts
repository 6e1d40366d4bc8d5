import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { ResultCode, SERVER_VERSION } from "lightweightpush/protocol";
import { MemoryCounters } from "../../src/auth/counters.js";
import { hashPassword } from "../../src/auth/password.js";
import { NOTIFICATION_ACL } from "../../src/storage/storage.js";
import { storageFactories } from "../helpers/storage-factories.js";
import { addTestAccount, formBody, pythonFrame, startTestServer, TestClock, type TestServer } from "../helpers/test-server.js";

const USER = "alice@example.org";
const PASSWORD = "correct horse";
const CHANNEL = "0123abcd_door";
const DATA = "AAECAwQFBgcICQoLDA0ODw==";

interface Vector {
  name: string;
  input: { username: string; password: string };
  expected: { posts: { formData: string; frame: { channel: string; data: string } }[] };
}
const vectors = (
  JSON.parse(readFileSync(new URL("../../../../../shared/vectors/v1-reference.json", import.meta.url), "utf8")) as { cases: Vector[] }
).cases;

async function send(t: TestServer, body: string, options: { address?: string | undefined; contentType?: string } = {}) {
  const response = await t.server.app.inject({
    method: "POST",
    url: "/push/send.php",
    payload: body,
    headers: { "content-type": options.contentType ?? "application/x-www-form-urlencoded" },
    remoteAddress: options.address ?? "192.0.2.10",
  });
  return { status: response.statusCode, body: response.body, json: safeJson(response.body) };
}

function safeJson(text: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function frame(fields: Partial<{ username: string; password: string; channel: string; data: string; version: string }> = {}) {
  return formBody(pythonFrame({ username: USER, password: PASSWORD, channel: CHANNEL, data: DATA, ...fields }));
}

for (const factory of storageFactories()) {
  describe(`POST /push/send.php (${factory.name})`, () => {
    let fixture: Awaited<ReturnType<typeof factory.create>>;
    let t: TestServer;
    const clock = new TestClock();

    before(async () => {
      fixture = await factory.create();
      t = await startTestServer(fixture, {
        deps: { now: clock.now, counters: new MemoryCounters({ now: clock.now }) },
        config: { bodyLimitBytes: 8192, maxPayloadLength: 3000 },
      });
      await addTestAccount(t.storage, USER, PASSWORD);
      await addTestAccount(t.storage, "notify@example.org", "notify pw", { acl: [NOTIFICATION_ACL] });
      await addTestAccount(t.storage, "disabled@example.org", "disabled pw", { active: false });
    });
    after(async () => {
      await t.close();
      await fixture.cleanup();
    });

    it('accepts a valid frame with {"Code": 0} and stores channel, payload and server time', async () => {
      const reply = await send(t, frame({ data: "stored-payload" }));
      assert.equal(reply.status, 200);
      assert.equal(reply.body, '{"Code": 0}');
      const [message] = await t.storage
        .listMessages(CHANNEL, { afterId: 0, limit: 100 })
        .then((m) => m.filter((x) => x.payload === "stored-payload"));
      assert.ok(message);
      assert.equal(message.channel, CHANNEL);
      assert.equal(message.timeMs, clock.nowMs);
      assert.ok(message.id > 0);
    });

    it("accepts every frame of the golden vectors exactly as the Python client wrote it", async () => {
      const accounts = new Map<string, string>();
      for (const v of vectors) {
        if (v.expected.posts.length > 0 && !accounts.has(v.input.username)) accounts.set(v.input.username, v.input.password);
      }
      for (const [username, password] of accounts) {
        if ((await t.storage.getAccount(username)) === undefined) await addTestAccount(t.storage, username, password);
      }
      let checked = 0;
      for (const v of vectors) {
        const post = v.expected.posts[0];
        if (post === undefined || accounts.get(v.input.username) !== v.input.password) continue;
        const reply = await send(t, formBody(post.formData), { address: `198.51.100.${checked % 200}` });
        assert.equal(reply.body, '{"Code": 0}', v.name);
        const stored = await t.storage.listMessages(post.frame.channel, { afterId: 0, limit: 1000 });
        assert.ok(
          stored.some((m) => m.payload === post.frame.data),
          `${v.name}: payload stored as sent`,
        );
        checked++;
      }
      assert.ok(checked >= 20, `checked ${checked} vectors`);
    });

    it('answers a missing form field with {"code": 10, "reason"}', async () => {
      for (const body of ["", "other=1", "Data=x"]) {
        const reply = await send(t, body);
        assert.equal(reply.status, 200);
        assert.equal(reply.json?.code, ResultCode.WEB_BRIDGE_ERROR, body);
        assert.match(String(reply.json?.reason), /form field "data" is missing/);
      }
      const json = await send(t, JSON.stringify({ data: "x" }), { contentType: "application/json" });
      assert.equal(json.json?.code, ResultCode.WEB_BRIDGE_ERROR);
    });

    it("answers 3 for malformed JSON, missing fields, wrong types and a version without a fraction", async () => {
      const cases: [string, string][] = [
        ["not json", "{username"],
        ["array", "[1, 2]"],
        ["missing data", `{"username": "${USER}", "password": "${PASSWORD}", "channel": "${CHANNEL}", "version": 0.1}`],
        ["missing version", `{"username": "${USER}", "password": "${PASSWORD}", "channel": "${CHANNEL}", "data": "x"}`],
        ["int version", `{"username": "${USER}", "password": "${PASSWORD}", "channel": "${CHANNEL}", "version": 0, "data": "x"}`],
        ["string version", `{"username": "${USER}", "password": "${PASSWORD}", "channel": "${CHANNEL}", "version": "0.1", "data": "x"}`],
        ["number username", `{"username": 5, "password": "${PASSWORD}", "channel": "${CHANNEL}", "version": 0.1, "data": "x"}`],
        ["null channel", `{"username": "${USER}", "password": "${PASSWORD}", "channel": null, "version": 0.1, "data": "x"}`],
        ["list data", `{"username": "${USER}", "password": "${PASSWORD}", "channel": "${CHANNEL}", "version": 0.1, "data": ["x"]}`],
      ];
      for (const [name, text] of cases) {
        const reply = await send(t, formBody(text));
        assert.equal(reply.status, 200, name);
        assert.equal(reply.json?.Code, ResultCode.ILLEGAL_MSG_ERROR, name);
      }
    });

    it("accepts 0.1, 0.15 and 1e-1 but answers 8 with the server version for 0.2 and 1.0", async () => {
      for (const version of ["0.1", "0.15", "1e-1"]) {
        assert.equal((await send(t, frame({ version }))).body, '{"Code": 0}', version);
      }
      for (const version of ["0.2", "1.0", "0.09"]) {
        const reply = await send(t, frame({ version }));
        assert.equal(reply.json?.Code, ResultCode.VERSION_MISSMATCH, version);
        assert.equal(reply.json?.version, SERVER_VERSION);
      }
    });

    it("answers 2 for an unknown account, a disabled account and a wrong password", async () => {
      const addresses = ["203.0.113.1", "203.0.113.2", "203.0.113.3"];
      const answers = [
        await send(t, frame({ username: "nobody@example.org" }), { address: addresses[0] }),
        await send(t, frame({ username: "disabled@example.org", password: "disabled pw" }), { address: addresses[1] }),
        await send(t, frame({ password: "wrong" }), { address: addresses[2] }),
      ];
      for (const reply of answers) assert.equal(reply.json?.Code, ResultCode.AUTH_ERROR);
    });

    it("answers 9 for the notification channel (any case) without ACL 0 and accepts it with the ACL", async () => {
      for (const channel of ["alertR_notification", "ALERTR_NOTIFICATION"]) {
        assert.equal((await send(t, frame({ channel }))).json?.Code, ResultCode.NO_NOTIFICATION_PERMISSION);
      }
      const ok = await send(
        t,
        frame({ username: "notify@example.org", password: "notify pw", channel: "AlertR_Notification", data: "notice" }),
      );
      assert.equal(ok.body, '{"Code": 0}');
      const stored = await t.storage.listMessages("alertR_notification", { afterId: 0, limit: 10 });
      assert.deepEqual(
        stored.map((m) => m.payload),
        ["notice"],
      );
    });

    it("refuses invalid wire channels with 3 and oversized payloads with 4", async () => {
      for (const channel of ["door", "0123ABCD_door", "0123abcd_", "0123abcd_a b", "0123abcd_a/b", `0123abcd_${"x".repeat(300)}`]) {
        const reply = await send(t, frame({ channel }));
        assert.equal(reply.json?.Code, ResultCode.ILLEGAL_MSG_ERROR, channel);
        assert.ok(typeof reply.json?.reason === "string");
      }
      assert.equal((await send(t, frame({ data: "" }))).json?.Code, ResultCode.ILLEGAL_MSG_ERROR);
      assert.equal((await send(t, frame({ data: "x".repeat(3001) }))).json?.Code, ResultCode.GOOGLE_MSG_TOO_LARGE);
      assert.equal((await send(t, frame({ data: "x".repeat(3000) }))).body, '{"Code": 0}');
    });

    it("answers a body over the limit with a final code 4 and its reason", async () => {
      const reply = await send(t, `data=${"x".repeat(9000)}`);
      assert.equal(reply.status, 200);
      assert.equal(reply.json?.Code, ResultCode.GOOGLE_MSG_TOO_LARGE);
      assert.match(String(reply.json?.reason), /larger than 8192 bytes/);
    });

    it("takes a password change and a disable made elsewhere into account at once", async () => {
      await addTestAccount(t.storage, "bob@example.org", "old pw");
      const bob = (password: string) => frame({ username: "bob@example.org", password });
      assert.equal((await send(t, bob("old pw"), { address: "192.0.2.50" })).body, '{"Code": 0}');
      assert.equal((await send(t, bob("old pw"), { address: "192.0.2.50" })).body, '{"Code": 0}');
      await t.storage.setPasswordHash("bob@example.org", await hashPassword("new pw", 4));
      assert.equal((await send(t, bob("old pw"), { address: "192.0.2.51" })).json?.Code, ResultCode.AUTH_ERROR);
      assert.equal((await send(t, bob("new pw"), { address: "192.0.2.51" })).body, '{"Code": 0}');
      await t.storage.setAccountActive("bob@example.org", false);
      assert.equal((await send(t, bob("new pw"), { address: "192.0.2.52" })).json?.Code, ResultCode.AUTH_ERROR);
      await t.storage.setAccountActive("bob@example.org", true);
      assert.equal((await send(t, bob("new pw"), { address: "192.0.2.52" })).body, '{"Code": 0}');
    });

    it("takes a password change and a disable made over another database connection (as by the user command) into account at once", async () => {
      await addTestAccount(t.storage, "grace@example.org", "grace pw");
      const grace = (password: string) => frame({ username: "grace@example.org", password });
      // Remembered: the next sends are answered from the cache.
      assert.equal((await send(t, grace("grace pw"), { address: "192.0.2.55" })).body, '{"Code": 0}');
      assert.equal((await send(t, grace("grace pw"), { address: "192.0.2.55" })).body, '{"Code": 0}');
      const other = await fixture.open();
      try {
        assert.equal(await other.setPasswordHash("grace@example.org", await hashPassword("grace new", 4)), true);
        assert.equal((await send(t, grace("grace pw"), { address: "192.0.2.56" })).json?.Code, ResultCode.AUTH_ERROR);
        assert.equal((await send(t, grace("grace new"), { address: "192.0.2.56" })).body, '{"Code": 0}');
        assert.equal((await send(t, grace("grace new"), { address: "192.0.2.56" })).body, '{"Code": 0}');
        assert.equal(await other.setAccountActive("grace@example.org", false), true);
        assert.equal((await send(t, grace("grace new"), { address: "192.0.2.57" })).json?.Code, ResultCode.AUTH_ERROR);
      } finally {
        await other.close();
      }
    });

    it("runs bcrypt once for a busy sender, and again only after a password change or past the cache time", async () => {
      await addTestAccount(t.storage, "erin@example.org", "erin pw");
      const verifications = async () => {
        const body = (await t.server.app.inject({ method: "GET", url: "/metrics" })).body;
        return Number(/^lwp_password_verifications_total (\d+)$/m.exec(body)?.[1]);
      };
      const erin = (password: string) => frame({ username: "erin@example.org", password });
      const before = await verifications();
      for (let i = 0; i < 20; i++) assert.equal((await send(t, erin("erin pw"), { address: "192.0.2.60" })).body, '{"Code": 0}');
      assert.equal(await verifications(), before + 1);
      await t.storage.setPasswordHash("erin@example.org", await hashPassword("erin new", 4));
      for (let i = 0; i < 5; i++) assert.equal((await send(t, erin("erin new"), { address: "192.0.2.60" })).body, '{"Code": 0}');
      assert.equal(await verifications(), before + 2);
      clock.advance(301_000);
      assert.equal((await send(t, erin("erin new"), { address: "192.0.2.60" })).body, '{"Code": 0}');
      assert.equal(await verifications(), before + 3);
    });

    it("verifies $2y$ hashes made by PHP like $2b$ hashes", async () => {
      const hash = await hashPassword("php pw", 4);
      await t.storage.addAccount({ username: "php@example.org", passwordHash: `$2y$${hash.slice(4)}`, createdAtMs: 0 });
      assert.equal((await send(t, frame({ username: "php@example.org", password: "php pw" }))).body, '{"Code": 0}');
    });

    it("blocks an (account, address) after 3 failures in 120 s for 60 s, then lets it in again", async () => {
      await addTestAccount(t.storage, "carol@example.org", "carol pw");
      const carol = (password: string) => frame({ username: "carol@example.org", password });
      const address = "198.51.100.77";
      for (let i = 0; i < 3; i++) {
        if (i > 0) clock.advance(10_000);
        assert.equal((await send(t, carol("guess"), { address })).json?.Code, ResultCode.AUTH_ERROR);
      }
      // The right password is refused while blocked, from that address only.
      assert.equal((await send(t, carol("carol pw"), { address })).json?.Code, ResultCode.AUTH_ERROR);
      assert.equal((await send(t, carol("carol pw"), { address: "198.51.100.78" })).body, '{"Code": 0}');
      clock.advance(59_000);
      assert.equal((await send(t, carol("carol pw"), { address })).json?.Code, ResultCode.AUTH_ERROR, "still blocked at 59 s");
      clock.advance(1_000);
      assert.equal((await send(t, carol("carol pw"), { address })).body, '{"Code": 0}', "free again at 60 s");
    });

    it("does not block failures spread wider than the 120 s window", async () => {
      await addTestAccount(t.storage, "dave@example.org", "dave pw");
      const address = "198.51.100.90";
      const dave = (password: string) => frame({ username: "dave@example.org", password });
      await send(t, dave("guess"), { address });
      await send(t, dave("guess"), { address });
      clock.advance(121_000);
      await send(t, dave("guess"), { address });
      assert.equal((await send(t, dave("dave pw"), { address })).body, '{"Code": 0}');
    });

    it("blocks an address that fails for 30 different accounts, for every account, for 60 s", async () => {
      const address = "198.51.100.200";
      for (let i = 0; i < 30; i++) {
        assert.equal((await send(t, frame({ username: `probe${i}@example.org` }), { address })).json?.Code, ResultCode.AUTH_ERROR);
      }
      assert.equal((await send(t, frame(), { address })).json?.Code, ResultCode.AUTH_ERROR, "the right password is refused too");
      assert.equal((await send(t, frame(), { address: "198.51.100.201" })).body, '{"Code": 0}');
      clock.advance(60_000);
      assert.equal((await send(t, frame(), { address })).body, '{"Code": 0}');
    });

    it("counts accepted and refused sends in /metrics", async () => {
      const response = await t.server.app.inject({ method: "GET", url: "/metrics" });
      assert.equal(response.statusCode, 200);
      assert.match(response.headers["content-type"] as string, /^text\/plain/);
      assert.match(response.body, /^lwp_messages_accepted_total [1-9]\d*$/m);
      assert.match(response.body, /^lwp_messages_rejected_total\{code="2"\} [1-9]\d*$/m);
      assert.match(response.body, /^lwp_messages_rejected_total\{code="3"\} [1-9]\d*$/m);
      assert.match(response.body, /^lwp_brute_force_blocks_total [1-9]\d*$/m);
      const health = await t.server.app.inject({ method: "GET", url: "/healthz" });
      assert.equal(health.statusCode, 200);
    });

    it("never logs passwords or payloads", () => {
      const logs = t.logs.join("\n");
      assert.ok(
        t.logs.some((l) => l.includes("authentication failed")),
        "failures are logged",
      );
      for (const secret of [PASSWORD, "carol pw", "guess", "notify pw", DATA, "stored-payload"]) {
        assert.ok(!logs.includes(secret), `log contains ${secret}`);
      }
    });
  });

  describe(`rate limits (${factory.name})`, () => {
    it("answers HTTP 429 beyond the per-address and per-account limits, until the window passes", async () => {
      const fixture = await factory.create();
      const clock = new TestClock();
      const t = await startTestServer(fixture, {
        deps: { now: clock.now, counters: new MemoryCounters({ now: clock.now }) },
        config: { addressSendsPerWindow: 3, accountSendsPerWindow: 4, rateLimitWindowSeconds: 60 },
      });
      try {
        await addTestAccount(t.storage, USER, PASSWORD);
        for (let i = 0; i < 3; i++) assert.equal((await send(t, frame(), { address: "192.0.2.1" })).body, '{"Code": 0}');
        const limited = await send(t, frame(), { address: "192.0.2.1" });
        assert.equal(limited.status, 429);
        assert.equal(limited.json?.code, ResultCode.WEB_BRIDGE_ERROR);
        // The account has one send left in this window, from another address.
        assert.equal((await send(t, frame(), { address: "192.0.2.2" })).body, '{"Code": 0}');
        assert.equal((await send(t, frame(), { address: "192.0.2.3" })).status, 429);
        clock.advance(60_000);
        assert.equal((await send(t, frame(), { address: "192.0.2.1" })).body, '{"Code": 0}');
        assert.equal(await t.storage.countMessages(), 5);
      } finally {
        await t.close();
        await fixture.cleanup();
      }
    });
  });
}
