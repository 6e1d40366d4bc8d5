/**
 * PostgreSQL migration 2: delivery to FCM and Web Push, the port of the
 * SQLite migration 2 (`src/delivery`): browser subscriptions with their
 * channels, one cursor per delivery adapter over `messages`, and the outbox
 * of pending deliveries, one row per (adapter, message, target).
 *
 * @module
 */
import type { Migration } from "./index.js";

export const migration0002: Migration = {
  version: 2,
  name: "delivery",
  sql: `
CREATE TABLE webpush_subscriptions (
  id bigserial NOT NULL PRIMARY KEY,
  endpoint text NOT NULL UNIQUE,
  p256dh text NOT NULL,
  auth text NOT NULL,
  created_at_ms bigint NOT NULL,
  updated_at_ms bigint NOT NULL
);
CREATE TABLE webpush_subscription_channels (
  subscription_id bigint NOT NULL REFERENCES webpush_subscriptions (id) ON DELETE CASCADE,
  channel text NOT NULL,
  PRIMARY KEY (subscription_id, channel)
);
CREATE INDEX webpush_subscription_channels_channel ON webpush_subscription_channels (channel);
CREATE TABLE delivery_cursors (
  adapter text NOT NULL PRIMARY KEY,
  last_message_id bigint NOT NULL
);
-- target_id: 0 for FCM (the message's topic), else the Web Push subscription id.
CREATE TABLE delivery_outbox (
  adapter text NOT NULL,
  message_id bigint NOT NULL,
  target_id bigint NOT NULL,
  attempts integer NOT NULL,
  next_attempt_ms bigint NOT NULL,
  created_at_ms bigint NOT NULL,
  last_error text,
  PRIMARY KEY (adapter, message_id, target_id)
);
CREATE INDEX delivery_outbox_due ON delivery_outbox (adapter, next_attempt_ms);
`,
};
