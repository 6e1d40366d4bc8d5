/**
 * Migration 1: accounts, ACL, message cache, send statistics.
 *
 * @module
 */
import type { Migration } from "./index.js";

export const migration0001: Migration = {
  version: 1,
  name: "initial",
  sql: `
CREATE TABLE accounts (
  username TEXT NOT NULL PRIMARY KEY,
  password_hash TEXT NOT NULL,
  active INTEGER NOT NULL DEFAULT 1,
  created_at_ms INTEGER NOT NULL
);
CREATE TABLE acl (
  username TEXT NOT NULL REFERENCES accounts (username) ON DELETE CASCADE,
  acl INTEGER NOT NULL,
  PRIMARY KEY (username, acl)
);
-- AUTOINCREMENT: ids never go back, even after the cleaner empties the table,
-- so a receiver's Last-Event-ID stays meaningful.
CREATE TABLE messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  channel TEXT NOT NULL,
  payload TEXT NOT NULL,
  time_ms INTEGER NOT NULL
);
CREATE INDEX messages_channel_id ON messages (channel, id);
CREATE INDEX messages_time ON messages (time_ms);
CREATE TABLE send_stats (
  username TEXT NOT NULL,
  address TEXT NOT NULL,
  channel TEXT NOT NULL,
  time_ms INTEGER NOT NULL
);
CREATE INDEX send_stats_time ON send_stats (time_ms);
`,
};
