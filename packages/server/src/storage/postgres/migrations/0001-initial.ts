/**
 * PostgreSQL migration 1: accounts (ACL as an array, so a login is one
 * indexed read), the message cache with its id counter, send statistics.
 *
 * @module
 */
import type { Migration } from "./index.js";

export const migration0001: Migration = {
  version: 1,
  name: "initial",
  sql: `
CREATE TABLE accounts (
  username text NOT NULL PRIMARY KEY,
  password_hash text NOT NULL,
  active boolean NOT NULL DEFAULT true,
  acl integer[] NOT NULL DEFAULT '{}',
  created_at_ms bigint NOT NULL
);
-- Message ids come from this one row, updated in the inserting statement: the
-- row lock serialises inserts until commit, so ids increase in commit order
-- and a reader resuming after id N never misses a message committed later
-- with a smaller id (a sequence alone does not give that). It also never goes
-- back when the cleaner empties the table, so Last-Event-ID stays meaningful.
CREATE TABLE message_counter (
  only_row boolean NOT NULL PRIMARY KEY DEFAULT true CHECK (only_row),
  last_id bigint NOT NULL
);
INSERT INTO message_counter (last_id) VALUES (0);
CREATE TABLE messages (
  id bigint NOT NULL PRIMARY KEY,
  channel text NOT NULL,
  payload text NOT NULL,
  time_ms bigint NOT NULL
);
CREATE INDEX messages_channel_id ON messages (channel, id);
CREATE INDEX messages_time ON messages (time_ms);
CREATE TABLE send_stats (
  id bigserial NOT NULL PRIMARY KEY,
  username text NOT NULL,
  address text NOT NULL,
  channel text NOT NULL,
  time_ms bigint NOT NULL
);
CREATE INDEX send_stats_time ON send_stats (time_ms);
`,
};
