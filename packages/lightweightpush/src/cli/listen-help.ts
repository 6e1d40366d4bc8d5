/**
 * The help text of `lightweight-push listen`.
 *
 * @module
 */
import { ExitStatus } from "../protocol/codes.js";
import { DEFAULT_RECONNECT_MAX_DELAY_MS } from "./listen-stream.js";

/** `lightweight-push listen --help`. */
export const LISTEN_HELP = `Usage: lightweight-push listen -c CHANNEL [-c CHANNEL ...] --server URL [options]

Receives end-to-end encrypted push messages from your own Lightweight Push
server and decrypts them on this machine (envelopes v1 and v2). Runs until
interrupted (Ctrl-C or SIGTERM, exit status 0). After a network loss or a
server restart it reconnects, waiting about 1 s, doubling up to ${DEFAULT_RECONNECT_MAX_DELAY_MS / 1000} s
(randomised, shown on stderr), and resumes where it stopped: no message is
lost or shown twice. A message that does not decrypt is reported on stderr,
never shown.

Options:
  -c, --channel NAME            channel to listen on (repeat for several);
                                the account prefix is added as when sending
  -u, --username EMAIL          account e-mail (it names the channels)
  --ss, --shared-secret SECRET  secret to decrypt with (visible to other users
                                in the process list: prefer the environment or
                                config file)
  --server URL                  your server, e.g. https://push.example.org
                                (default: --endpoint without /push/send.php)
  --json                        print one JSON object per message and line:
                                channel, prefixedChannel, id, subject, message,
                                state (1, 0 or null), timeTriggered, timeSent,
                                serverTime (unix seconds), envelope
  --exec COMMAND                run COMMAND with /bin/sh -c for each message,
                                one at a time, instead of printing it; it gets
                                LWP_SUBJECT, LWP_MESSAGE, LWP_STATE (1, 0 or
                                empty), LWP_CHANNEL, LWP_PREFIXED_CHANNEL,
                                LWP_TIME_TRIGGERED, LWP_TIME_SENT,
                                LWP_SERVER_TIME, LWP_ID, LWP_ENVELOPE (never
                                the shared secret or password)
  --since WHEN                  first replay cached messages: all, a message
                                id, a unix time, an ISO 8601 time
                                (2026-12-04T08:00:00Z) or a duration back from
                                now (30s, 10m, 2h, 7d)
  --timeout SECONDS             how long connecting may take (default: 30)
  --no-check-ssl-certificate    do not verify the server's TLS certificate
  -l, --loglevel LEVEL          DEBUG, INFO, WARNING (default), ERROR, CRITICAL
  --config FILE                 config file (as for sending)
  -h, --help                    show this help

Output: one block per message, the time triggered (local time), the state
(TRIGGERED, normal or none), the channel and the subject, then the message
with each line indented:
  2026-12-04 08:15:02  TRIGGERED  Door  Front door opened
      Opened at 08:15 by the alarm system.

Settings from the environment and the config file work as for sending:
  LIGHTWEIGHT_PUSH_USERNAME, LIGHTWEIGHT_PUSH_SHARED_SECRET,
  LIGHTWEIGHT_PUSH_CHANNEL (comma-separated), LIGHTWEIGHT_PUSH_SERVER,
  LIGHTWEIGHT_PUSH_LOGLEVEL, LIGHTWEIGHT_PUSH_CONFIG; in the config file
  "username", "sharedSecret", "channel" (a list), "server".

Exit status:
  ${ExitStatus.OK}    interrupted by SIGINT or SIGTERM
  ${ExitStatus.USAGE}   bad usage or settings
  ${ExitStatus.AUTH}   the server refused to let this account read (HTTP 401)
  ${ExitStatus.PERMISSION}   the server refused access to a channel (HTTP 403)
  ${ExitStatus.FAILURE}    the server refused the subscription otherwise (wrong --server?)

Examples:
  export LIGHTWEIGHT_PUSH_USERNAME=me@example.org LIGHTWEIGHT_PUSH_SHARED_SECRET=...
  lightweight-push listen --server https://push.example.org -c Door -c Alarm
  lightweight-push listen --server https://push.example.org -c Door --since 1h
  lightweight-push listen -c Door --json | jq -r 'select(.state == 1) | .subject'
  lightweight-push listen -c Alarm --exec 'notify-send "$LWP_SUBJECT" "$LWP_MESSAGE"'
`;
