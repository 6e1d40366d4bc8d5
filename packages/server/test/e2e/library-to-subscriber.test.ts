import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { LightweightPush, nodeCryptoBackend } from "lightweightpush";
import { Receiver } from "lightweightpush/receiver";
import { subscribe } from "../helpers/sse-client.js";
import { storageFactories } from "../helpers/storage-factories.js";
import { addTestAccount, startTestServer, type TestServer } from "../helpers/test-server.js";

const USER = "my_email@alertr.de";
const PASSWORD = "super_secret_password";
const SECRET = "shared_secret_to_encrypt_msg";

for (const factory of storageFactories()) {
  describe(`library -> server -> SSE subscriber (${factory.name})`, () => {
    let fixture: Awaited<ReturnType<typeof factory.create>>;
    let t: TestServer;

    before(async () => {
      fixture = await factory.create();
      t = await startTestServer(fixture, { listen: true });
      await addTestAccount(t.storage, USER, PASSWORD);
    });
    after(async () => {
      await t.close();
      await fixture.cleanup();
    });

    it("delivers v1 and v2 messages that the receiver opens with the shared secret, to live and later subscribers, across a restart", async () => {
      const endpoint = `${t.url}/push/send.php`;
      const channel = "538113b2_MyChannel";
      const live = await subscribe(`${t.url}/v1/channels/${channel}/events`);

      const v1 = new LightweightPush(USER, PASSWORD, SECRET, { endpoint });
      const v2 = new LightweightPush(USER, PASSWORD, SECRET, { endpoint, envelope: 2 });
      const r1 = await v1.sendMsg("Door", "Opened", "MyChannel", { state: 1, maxRetries: 0 });
      assert.equal(r1.channel, channel);
      await v2.sendMsg("Window", "Ünïcödé ✓", "MyChannel", { maxRetries: 0 });

      const open = async (events: { id: string; time: number; channel: string; payload: string }[]) => {
        const receiver = new Receiver({ username: USER, sharedSecret: SECRET, crypto: nodeCryptoBackend });
        const out: string[] = [];
        for (const event of events) {
          const result = await receiver.open(event, channel);
          assert.equal(result?.kind, "message");
          if (result?.kind === "message")
            out.push(`${result.envelope}:${result.payload.sbj}:${result.payload.msg}:${result.payload.st ?? "-"}`);
        }
        return out;
      };
      const expected = ["1:Door:Opened:1", "2:Window:Ünïcödé ✓:-"];
      assert.deepEqual(await open(await live.waitForEvents(2)), expected);
      live.close();

      const later = await subscribe(`${t.url}/v1/channels/${channel}/events?since=all`);
      assert.deepEqual(await open(await later.waitForEvents(2)), expected);
      later.close();

      // A receiver with the wrong secret gets an error, never a message.
      const wrong = new Receiver({ username: USER, sharedSecret: "not the secret", crypto: nodeCryptoBackend });
      for (const event of later.events) assert.equal((await wrong.open(event, channel))?.kind, "error");

      await t.close();
      t = await startTestServer(fixture, { listen: true });
      const afterRestart = await subscribe(`${t.url}/v1/channels/${channel}/events?since=all`);
      assert.deepEqual(await open(await afterRestart.waitForEvents(2)), expected);
      afterRestart.close();
    });

    it("makes the library fail with code 2 for a wrong password, without retrying", async () => {
      const push = new LightweightPush(USER, "wrong", SECRET, { endpoint: `${t.url}/push/send.php` });
      await assert.rejects(push.sendMsg("s", "m", "MyChannel", { maxRetries: 3 }), (error: { code?: number }) => error.code === 2);
    });
  });
}
