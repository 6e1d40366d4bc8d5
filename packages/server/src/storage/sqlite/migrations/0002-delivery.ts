/**
 * Migration 2: delivery to FCM and Web Push (owned by `src/delivery`).
 * Browser subscriptions with their channels, one durable cursor per
 * delivery adapter over `messages`, and the outbox of pending deliveries,
 * one row per (adapter, message, target). Kept to portable SQL; the
 * PostgreSQL port needs only `bigint`/identity column types.
 *
 * @module
 */
import type { Migration } from "./index.js";

export const migration0002: Migration = {
  version: 2,
  name: "delivery",
  sql: `
CREATE TABLE webpush_subscriptions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  endpoint TEXT NOT NULL UNIQUE,
  p256dh TEXT NOT NULL,
  auth TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL
);
CREATE TABLE webpush_subscription_channels (
  subscription_id INTEGER NOT NULL REFERENCES webpush_subscriptions (id) ON DELETE CASCADE,
  channel TEXT NOT NULL,
  PRIMARY KEY (subscription_id, channel)
);
CREATE INDEX webpush_subscription_channels_channel ON webpush_subscription_channels (channel);
-- The highest message id each adapter has copied into the outbox: messages
-- are already durable, so the outbox is derived from them after the fact
-- and a crash between the two loses nothing.
CREATE TABLE delivery_cursors (
  adapter TEXT NOT NULL PRIMARY KEY,
  last_message_id INTEGER NOT NULL
);
-- target_id: 0 for FCM (the message's topic), else the Web Push subscription id.
CREATE TABLE delivery_outbox (
  adapter TEXT NOT NULL,
  message_id INTEGER NOT NULL,
  target_id INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  next_attempt_ms INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  last_error TEXT,
  PRIMARY KEY (adapter, message_id, target_id)
);
CREATE INDEX delivery_outbox_due ON delivery_outbox (adapter, next_attempt_ms);
`,
};
