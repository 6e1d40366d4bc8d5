import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CommitterClosedError, GroupCommitter } from "../../src/storage/group-commit.js";
import type { StoredMessage } from "../../src/storage/storage.js";
import { storageFactories } from "../helpers/storage-factories.js";
import { withFixture } from "../helpers/test-server.js";

const sender = { username: "u@example.org", address: "192.0.2.1" };

for (const factory of storageFactories()) {
  describe(`GroupCommitter (${factory.name})`, () => {
    // Several outstanding inserts only where the storage commits them in call order (the SQLite writer thread).
    for (const maxInFlight of factory.name === "sqlite" ? [1, 4] : [1]) {
      it(`commits concurrent submissions in shared transactions, answering in commit order (maxInFlight ${maxInFlight})`, () =>
        withFixture(factory, async (fixture) => {
          const storage = await fixture.open();
          const batches: StoredMessage[][] = [];
          let throwOnce = true;
          const committer = new GroupCommitter({
            storage,
            maxBatch: 100,
            maxInFlight,
            recordStats: false,
            onCommitted: (batch) => {
              batches.push(batch.map((c) => c.message));
              if (throwOnce) {
                throwOnce = false;
                throw new Error("a faulty listener must not stall the committer");
              }
            },
          });
          try {
            const results = await Promise.all(
              Array.from({ length: 1000 }, (_, i) => committer.submit({ channel: "0123abcd_gc", payload: `p${i}`, timeMs: i }, sender)),
            );
            const ids = results.map((r) => r.id);
            assert.equal(new Set(ids).size, 1000);
            assert.deepEqual(
              results.map((r) => r.payload),
              Array.from({ length: 1000 }, (_, i) => `p${i}`),
            );
            assert.ok(
              ids.every((id, i) => i === 0 || id > (ids[i - 1] as number)),
              "ids follow submission order",
            );
            assert.ok(batches.length < 1000, `${batches.length} transactions for 1000 messages`);
            const published = batches.flat().map((m) => m.id);
            assert.deepEqual(published, ids, "onCommitted sees every message once, in commit order");
            assert.equal(await storage.countMessages(), 1000);

            const late = committer.submit({ channel: "0123abcd_gc", payload: "last", timeMs: 0 }, sender);
            await committer.close();
            assert.equal((await late).payload, "last", "close() finishes what was queued");
            await assert.rejects(committer.submit({ channel: "0123abcd_gc", payload: "x", timeMs: 0 }, sender), CommitterClosedError);
          } finally {
            await storage.close();
          }
        }));
    }
  });
}
