import assert from "node:assert/strict";
import { test } from "node:test";
import { UsageError } from "../../src/cli/errors.js";
import { parseSince } from "../../src/cli/listen.js";

const NOW_MS = Date.parse("2026-12-04T10:00:00Z");

test("--since passes all, ids and unix times through, and turns durations and ISO times into unix seconds", () => {
  assert.equal(parseSince("all", NOW_MS), "all");
  assert.equal(parseSince("42", NOW_MS), "42");
  assert.equal(parseSince("1796378400", NOW_MS), "1796378400");
  assert.equal(parseSince("2h", NOW_MS), String(NOW_MS / 1000 - 7200));
  assert.equal(parseSince("30s", NOW_MS), String(NOW_MS / 1000 - 30));
  assert.equal(parseSince("10m", NOW_MS), String(NOW_MS / 1000 - 600));
  assert.equal(parseSince("7d", NOW_MS), String(NOW_MS / 1000 - 7 * 86_400));
  assert.equal(parseSince("2026-12-04T08:00:00Z", NOW_MS), String(Date.parse("2026-12-04T08:00:00Z") / 1000));
  assert.equal(parseSince("2026-12-04T09:00:00+01:00", NOW_MS), String(Date.parse("2026-12-04T08:00:00Z") / 1000));
});

test("--since refuses anything else with a usage error", () => {
  for (const bad of ["", "yesterday", "-5", "1.5", "2h30m", "10w", "2026-13-45", "ALL"]) {
    assert.throws(() => parseSince(bad, NOW_MS), UsageError, bad);
  }
});
