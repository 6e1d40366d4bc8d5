/**
 * A send whose PostgreSQL transaction fails: answered with a retryable code,
 * nothing of it published or stored, and the next message id follows the
 * last one without a gap (the id counter rolled back with the transaction).
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { ResultCode } from "lightweightpush/protocol";
import pg from "pg";
import { createPostgresFixture } from "../helpers/postgres-factory.js";
import { addTestAccount, startTestServer, waitFor } from "../helpers/test-server.js";
import { ResumingSubscriber, requireServiceEnv, sendFrame } from "./services.js";

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

test("a failing PostgreSQL commit answers 1, publishes nothing and leaves no gap in the ids", async () => {
  const databaseUrl = requireServiceEnv("LWP_TEST_DATABASE_URL");
  const fixture = await createPostgresFixture(databaseUrl);
  cleanups.push(() => fixture.cleanup());
  const server = await startTestServer(fixture, { listen: true, config: { databaseUrl: fixture.databaseUrl } });
  cleanups.push(() => server.close());
  await addTestAccount(server.storage, "u@example.org", "pw");

  // A real PostgreSQL failure: a trigger that refuses one payload, added from another connection.
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  try {
    await admin.query(`
      CREATE FUNCTION "${fixture.schema}".refuse_one_payload() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.payload = 'poison' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$;
      CREATE TRIGGER refuse_one_payload BEFORE INSERT ON "${fixture.schema}".messages
        FOR EACH ROW EXECUTE FUNCTION "${fixture.schema}".refuse_one_payload();`);
  } finally {
    await admin.end();
  }

  const channel = "0123abcd_c";
  const subscriber = new ResumingSubscriber([server.url!], channel);
  cleanups.push(() => subscriber.stop());
  await subscriber.opened;
  const send = (data: string) => sendFrame(server.url!, { username: "u@example.org", password: "pw", channel, data });
  assert.equal(await send("first"), ResultCode.NO_ERROR);
  assert.equal(await send("poison"), ResultCode.DATABASE_ERROR);
  assert.equal(await send("second"), ResultCode.NO_ERROR);
  await waitFor(() => subscriber.events.length >= 2);
  assert.deepEqual(
    subscriber.events.map((e) => e.payload),
    ["first", "second"],
  );
  const [first, second] = subscriber.events;
  assert.equal(second!.id, first!.id + 1, "the failed transaction took no id");
  assert.equal(await server.storage.countMessages(), 2);
  assert.ok(!server.logs.join("\n").includes("poison"), "payloads stay out of the logs");
});
