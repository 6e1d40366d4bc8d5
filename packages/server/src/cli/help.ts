/**
 * Help text of `lightweight-push-server`, generated from the config table
 * so that every flag, its environment variable and its default are listed.
 *
 * @module
 */
import { configFields, defaultConfig, envName, flagName, type ServerConfig } from "../config/config.js";

/** The full `--help` text. */
export function helpText(): string {
  const options = (Object.keys(configFields) as (keyof ServerConfig)[]).map((key) => {
    const spec = configFields[key];
    const flag = `${flagName(key)}${spec.type === "boolean" ? "" : " VALUE"}`;
    const value = defaultConfig[key];
    const shown = spec.secret === true || value === undefined ? "" : ` (default ${JSON.stringify(value)})`;
    return `  ${flag.padEnd(36)} ${spec.help}${shown}\n  ${"".padEnd(36)} env ${envName(key)}, config-file key "${key}"`;
  });
  return `lightweight-push-server: self-hosted Lightweight Push server (AlertR send protocol, encrypted message cache, SSE)

Usage:
  lightweight-push-server [start] [options]          run the server
  lightweight-push-server user add EMAIL [--password-stdin] [--data-dir DIR]
  lightweight-push-server user list [--data-dir DIR]
  lightweight-push-server user disable|enable EMAIL [--data-dir DIR]
  lightweight-push-server user passwd EMAIL [--password-stdin] [--data-dir DIR]
  lightweight-push-server acl grant|revoke EMAIL notification [--data-dir DIR]

Passwords are read from a prompt (echo off) or, with --password-stdin, from
standard input; never from the command line.

Examples:
  # create an account, then start the server on all interfaces
  lightweight-push-server user add alice@example.org --data-dir /var/lib/lwp
  lightweight-push-server --data-dir /var/lib/lwp --host 0.0.0.0 --port 8080

  # scripted account creation and password change
  printf '%s\\n' "$ALICE_PASSWORD" | lightweight-push-server user add alice@example.org --password-stdin
  lightweight-push-server user passwd alice@example.org

  # let an account send to the service-wide notification channel
  lightweight-push-server acl grant alice@example.org notification

  # the same settings from the environment or a JSON config file
  LWP_SERVER_DATA_DIR=/var/lib/lwp LWP_SERVER_PORT=9000 lightweight-push-server
  lightweight-push-server --config /etc/lightweight-push-server.json

Endpoints:
  POST /push/send.php                          AlertR web-bridge send protocol (form field "data")
  GET  /v1/channels/PREFIXED_CHANNEL/events    Server-Sent Events; ?since=all|ID|UNIX_TIME or Last-Event-ID
  GET  /healthz, GET /metrics                  health and Prometheus metrics

Options (precedence: flag > environment > config file > default):
  --config FILE                        JSON config file with the keys below (env LWP_SERVER_CONFIG)
  --password-stdin                     read the password from standard input (user add, user passwd)
  -h, --help                           this text
  --version                            print the version
${options.join("\n")}
`;
}
