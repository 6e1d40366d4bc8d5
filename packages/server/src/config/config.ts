/**
 * The server's configuration: one typed object with a documented default
 * for every field, built in one place ({@link loadConfig} in `load.ts`):
 * defaults <- config file (JSON, camelCase keys) <- environment
 * (`LWP_SERVER_*`) <- command-line flags (`--kebab-case`).
 *
 * @module
 */

/** Log verbosity. */
export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

/** Everything the server can be configured with. */
export interface ServerConfig {
  /** Address to listen on. @default "127.0.0.1" */
  readonly host: string;
  /** TCP port; 0 lets the OS choose. @default 8080 */
  readonly port: number;
  /** Directory of the embedded SQLite database. @default "./lightweight-push-data" */
  readonly dataDir: string;
  /** PostgreSQL URL; when set, replaces the embedded SQLite database. @default undefined */
  readonly databaseUrl: string | undefined;
  /** Redis URL; when set, fan-out and rate-limit counters are shared through Redis. @default undefined */
  readonly redisUrl: string | undefined;
  /** Directory served as static files at `/` (the web app); `""` turns it off. @default packages/web/dist when it exists */
  readonly webRoot: string | undefined;
  /** Log verbosity. @default "info" */
  readonly logLevel: LogLevel;
  /** Take the client address from `X-Forwarded-For` (only behind a trusted reverse proxy). @default false */
  readonly trustProxy: boolean;

  /** Largest request body accepted, bytes. @default 16384 */
  readonly bodyLimitBytes: number;
  /** Longest wire channel (with its prefix), characters. @default 256 */
  readonly maxChannelLength: number;
  /** Largest sealed payload (`data`), characters; longer gets code 4. @default 4096 */
  readonly maxPayloadLength: number;

  /** How long accepted messages stay in the cache, seconds. @default 604800 (7 days) */
  readonly messageRetentionSeconds: number;
  /** Record (account, address, channel, time) of each accepted send. @default false */
  readonly statsEnabled: boolean;
  /** How long send statistics are kept, seconds. @default 2592000 (30 days) */
  readonly statsRetentionSeconds: number;
  /** How often the cleaner removes expired messages and statistics, seconds. @default 300 */
  readonly cleanupIntervalSeconds: number;

  /** Failed logins per (account, address) within the window that block the address. @default 3 */
  readonly bruteForceMaxFailures: number;
  /** Window in which failures are counted, seconds. @default 120 */
  readonly bruteForceWindowSeconds: number;
  /** How long a blocked (account, address) is refused, seconds. @default 60 */
  readonly bruteForceBlockSeconds: number;
  /**
   * Failed logins from one address, over all accounts, within the window
   * that block the address for every account (guessing many usernames
   * would otherwise cost a bcrypt each); 0 turns this off. @default 30
   */
  readonly bruteForceAddressMaxFailures: number;
  /** How long a verified password is remembered (as an HMAC), seconds; 0 verifies bcrypt every time. @default 300 */
  readonly authCacheTtlSeconds: number;
  /** bcrypt cost for new passwords. @default 12 */
  readonly bcryptCost: number;

  /** Length of the rate-limit window, seconds. @default 60 */
  readonly rateLimitWindowSeconds: number;
  /** Sends per account per window before HTTP 429; 0 = unlimited. @default 1200 */
  readonly accountSendsPerWindow: number;
  /** Send requests per client address per window before HTTP 429; 0 = unlimited. @default 2400 */
  readonly addressSendsPerWindow: number;

  /** Interval of SSE comment heartbeats, ms. @default 25000 */
  readonly heartbeatIntervalMs: number;
  /** Largest number of messages committed in one transaction. @default 1000 */
  readonly commitMaxBatch: number;

  /** Firebase service-account JSON file for FCM delivery. @default undefined */
  readonly fcmServiceAccountFile: string | undefined;
  /** Firebase project id (defaults to the service account's). @default undefined */
  readonly fcmProjectId: string | undefined;
  /** VAPID public key (base64url) for Web Push. @default undefined */
  readonly webPushVapidPublicKey: string | undefined;
  /** VAPID private key (base64url); secret, prefer the environment or the config file. @default undefined */
  readonly webPushVapidPrivateKey: string | undefined;
  /** VAPID subject (`mailto:` or `https:` URL). @default undefined */
  readonly webPushVapidSubject: string | undefined;
  /** OAuth 2.0 token endpoint for the FCM service account (change only for a proxy or a test stand-in). @default "https://oauth2.googleapis.com/token" */
  readonly fcmTokenUrl: string;
  /** FCM HTTP v1 base URL (change only for a proxy or a test stand-in). @default "https://fcm.googleapis.com" */
  readonly fcmBaseUrl: string;
  /**
   * Push services a browser subscription may point at: comma-separated host
   * names, `*.` wildcards allowed, HTTPS only; an entry `http://host:port`
   * allows that plain-HTTP origin (tests); `*` allows any HTTPS host.
   * @default the push services of Chrome, Firefox, Edge and Safari
   */
  readonly webPushEndpointHosts: string;
  /** How long a push service keeps an undelivered Web Push message, seconds. @default 86400 */
  readonly webPushTtlSeconds: number;
}

/** Kinds of value a field can hold. */
export type FieldType = "string" | "optional-string" | "integer" | "boolean" | "log-level";

/** Description of one field: its type, default and help line. */
export interface FieldSpec {
  readonly type: FieldType;
  readonly help: string;
  /** Never print the value (logs, `--help`, errors). */
  readonly secret?: boolean;
  /** Smallest allowed integer. */
  readonly min?: number;
}

/** Every field of {@link ServerConfig}, in help order. */
export const configFields: { readonly [K in keyof ServerConfig]: FieldSpec } = {
  host: { type: "string", help: "address to listen on" },
  port: { type: "integer", min: 0, help: "TCP port (0 = any free port)" },
  dataDir: { type: "string", help: "directory of the embedded SQLite database" },
  databaseUrl: { type: "optional-string", secret: true, help: "PostgreSQL URL instead of SQLite" },
  redisUrl: { type: "optional-string", secret: true, help: "Redis URL for fan-out and counters across processes" },
  webRoot: { type: "optional-string", help: 'directory served at / (the web app); "" turns it off' },
  logLevel: { type: "log-level", help: "fatal|error|warn|info|debug|trace|silent" },
  trustProxy: { type: "boolean", help: "use X-Forwarded-For (only behind a trusted proxy)" },
  bodyLimitBytes: { type: "integer", min: 256, help: "largest request body, bytes" },
  maxChannelLength: { type: "integer", min: 10, help: "longest wire channel, characters" },
  maxPayloadLength: { type: "integer", min: 1, help: "largest sealed payload, characters (code 4 beyond)" },
  messageRetentionSeconds: { type: "integer", min: 1, help: "how long messages stay cached, seconds" },
  statsEnabled: { type: "boolean", help: "record account, address, channel and time of each send" },
  statsRetentionSeconds: { type: "integer", min: 1, help: "how long send statistics are kept, seconds" },
  cleanupIntervalSeconds: { type: "integer", min: 1, help: "how often expired rows are removed, seconds" },
  bruteForceMaxFailures: { type: "integer", min: 1, help: "failed logins per account and address before a block" },
  bruteForceWindowSeconds: { type: "integer", min: 1, help: "window for counting failed logins, seconds" },
  bruteForceBlockSeconds: { type: "integer", min: 1, help: "how long a block lasts, seconds" },
  bruteForceAddressMaxFailures: {
    type: "integer",
    min: 0,
    help: "failed logins per address (any account) before the address is blocked (0 = off)",
  },
  authCacheTtlSeconds: { type: "integer", min: 0, help: "how long a verified password is remembered, seconds" },
  bcryptCost: { type: "integer", min: 4, help: "bcrypt cost for new passwords" },
  rateLimitWindowSeconds: { type: "integer", min: 1, help: "rate-limit window, seconds" },
  accountSendsPerWindow: { type: "integer", min: 0, help: "sends per account per window (0 = unlimited)" },
  addressSendsPerWindow: { type: "integer", min: 0, help: "send requests per address per window (0 = unlimited)" },
  heartbeatIntervalMs: { type: "integer", min: 10, help: "SSE heartbeat interval, ms" },
  commitMaxBatch: { type: "integer", min: 1, help: "most messages per database transaction" },
  fcmServiceAccountFile: { type: "optional-string", help: "Firebase service-account JSON file" },
  fcmProjectId: { type: "optional-string", help: "Firebase project id" },
  webPushVapidPublicKey: { type: "optional-string", help: "VAPID public key (base64url)" },
  webPushVapidPrivateKey: { type: "optional-string", secret: true, help: "VAPID private key (prefer env or file)" },
  webPushVapidSubject: { type: "optional-string", help: "VAPID subject (mailto: or https: URL)" },
  fcmTokenUrl: { type: "string", help: "OAuth token endpoint for FCM (proxy or test stand-in)" },
  fcmBaseUrl: { type: "string", help: "FCM HTTP v1 base URL (proxy or test stand-in)" },
  webPushEndpointHosts: { type: "string", help: "push service hosts subscriptions may use (comma-separated, *. wildcards)" },
  webPushTtlSeconds: { type: "integer", min: 0, help: "how long push services keep undelivered Web Push messages, seconds" },
};

/** Defaults of every field except `webRoot`, which `load.ts` resolves from the install location. */
export const defaultConfig: ServerConfig = {
  host: "127.0.0.1",
  port: 8080,
  dataDir: "./lightweight-push-data",
  databaseUrl: undefined,
  redisUrl: undefined,
  webRoot: undefined,
  logLevel: "info",
  trustProxy: false,
  bodyLimitBytes: 16_384,
  maxChannelLength: 256,
  maxPayloadLength: 4096,
  messageRetentionSeconds: 7 * 86_400,
  statsEnabled: false,
  statsRetentionSeconds: 30 * 86_400,
  cleanupIntervalSeconds: 300,
  bruteForceMaxFailures: 3,
  bruteForceWindowSeconds: 120,
  bruteForceBlockSeconds: 60,
  bruteForceAddressMaxFailures: 30,
  authCacheTtlSeconds: 300,
  bcryptCost: 12,
  rateLimitWindowSeconds: 60,
  accountSendsPerWindow: 1200,
  addressSendsPerWindow: 2400,
  heartbeatIntervalMs: 25_000,
  commitMaxBatch: 1000,
  fcmServiceAccountFile: undefined,
  fcmProjectId: undefined,
  webPushVapidPublicKey: undefined,
  webPushVapidPrivateKey: undefined,
  webPushVapidSubject: undefined,
  fcmTokenUrl: "https://oauth2.googleapis.com/token",
  fcmBaseUrl: "https://fcm.googleapis.com",
  webPushEndpointHosts: "fcm.googleapis.com,updates.push.services.mozilla.com,*.notify.windows.com,web.push.apple.com,*.push.apple.com",
  webPushTtlSeconds: 86_400,
};

/** The environment variable of a field: `dataDir` -> `LWP_SERVER_DATA_DIR`. */
export function envName(key: keyof ServerConfig): string {
  return `LWP_SERVER_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/** The command-line flag of a field: `dataDir` -> `--data-dir`. */
export function flagName(key: keyof ServerConfig): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** Thrown for an invalid configuration value; the message names the source and never a secret value. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly code = "CONFIG_ERROR";
}
