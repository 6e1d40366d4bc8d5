#!/usr/bin/env node
// What keeping message ids in commit order costs on PostgreSQL. Prints
// figures; asserts nothing. Three ways to number inserted messages, each at
// several concurrencies and batch sizes, on a scratch schema (dropped after):
//
// - counter: one row `last_id`, updated in the inserting statement (what the
//   server does): its row lock orders inserts until commit;
// - advisory lock + sequence: pg_advisory_xact_lock, then nextval, then commit;
// - sequence alone: fastest, but a message can commit after a larger id was
//   already read, so a reader resuming with Last-Event-ID would skip it.
//
//   node packages/server/bench/postgres-id-order-bench.mjs [--database-url URL] [--messages 2000]
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import pg from "pg";

const { values: opts } = parseArgs({
  options: {
    "database-url": { type: "string", default: process.env.LWP_TEST_DATABASE_URL },
    messages: { type: "string", default: "2000" },
  },
});
if (opts["database-url"] === undefined) {
  console.error("needs --database-url (or LWP_TEST_DATABASE_URL)");
  process.exit(64);
}
const schema = `lwp_idbench_${randomBytes(4).toString("hex")}`;
const pool = new pg.Pool({ connectionString: opts["database-url"], max: 32, options: `-c search_path=${schema}` });
await pool.query(`CREATE SCHEMA ${schema}`);
await pool.query(`
  CREATE TABLE m (id bigint PRIMARY KEY, channel text NOT NULL, payload text NOT NULL, time_ms bigint NOT NULL);
  CREATE INDEX ON m (channel, id);
  CREATE TABLE ctr (k boolean PRIMARY KEY DEFAULT true, last_id bigint NOT NULL);
  INSERT INTO ctr VALUES (true, 0);
  CREATE SEQUENCE seq;`);

const payload = "x".repeat(200);
const columns = (n) => [Array(n).fill("0123abcd_chan"), Array(n).fill(payload), Array(n).fill(Date.now())];
const strategies = {
  "counter row": async (n) => {
    await pool.query({
      name: "counter",
      text: `WITH c AS (UPDATE ctr SET last_id = last_id + $1 RETURNING last_id),
             i AS (INSERT INTO m (id, channel, payload, time_ms)
                   SELECT c.last_id - $1 + x.ord, x.channel, x.payload, x.time_ms
                     FROM c, unnest($2::text[], $3::text[], $4::bigint[]) WITH ORDINALITY AS x (channel, payload, time_ms, ord))
             SELECT last_id FROM c`,
      values: [n, ...columns(n)],
    });
  },
  "advisory lock + sequence": async (n) => {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock(42)");
      await client.query({
        name: "advisory",
        text: `INSERT INTO m (id, channel, payload, time_ms)
               SELECT nextval('seq'), x.channel, x.payload, x.time_ms FROM unnest($1::text[], $2::text[], $3::bigint[]) AS x (channel, payload, time_ms)`,
        values: columns(n),
      });
      await client.query("COMMIT");
    } finally {
      client.release();
    }
  },
  "sequence alone (unordered)": async (n) => {
    await pool.query({
      name: "sequence",
      text: `INSERT INTO m (id, channel, payload, time_ms)
             SELECT nextval('seq'), x.channel, x.payload, x.time_ms FROM unnest($1::text[], $2::text[], $3::bigint[]) AS x (channel, payload, time_ms)`,
      values: columns(n),
    });
  },
};

try {
  const total = Number(opts.messages);
  console.log(`message ids in commit order: ${total} messages per run, fsync as configured on the server`);
  for (const concurrency of [1, 8, 32]) {
    for (const batch of [1, 16]) {
      for (const [name, insert] of Object.entries(strategies)) {
        await pool.query("TRUNCATE m; UPDATE ctr SET last_id = 0; SELECT setval('seq', 1, false)");
        let done = 0;
        const started = performance.now();
        await Promise.all(
          Array.from({ length: concurrency }, async () => {
            while (done < total) {
              done += batch;
              await insert(batch);
            }
          }),
        );
        const seconds = (performance.now() - started) / 1000;
        console.log(
          `${name.padEnd(28)} concurrency ${String(concurrency).padStart(2)}, batch ${String(batch).padStart(2)}: ` +
            `${(done / seconds).toFixed(0).padStart(6)} messages/s, ${(done / batch / seconds).toFixed(0).padStart(5)} commits/s`,
        );
      }
    }
  }
} finally {
  await pool.query(`DROP SCHEMA ${schema} CASCADE`);
  await pool.end();
}
