/**
 * The help text of `lightweight-push` (sending). Exit statuses come from
 * the shared code table so that the help cannot drift from the behaviour.
 *
 * @module
 */
import { DEFAULT_ENDPOINT, DEFAULT_TIMEOUT_MS } from "../client/lightweight-push.js";
import { DEFAULT_MAX_RETRIES } from "../client/retry.js";
import { ExitStatus } from "../protocol/codes.js";
import { INTERRUPTED_EXIT_STATUS } from "./io.js";

/** `lightweight-push --help`. */
export const SEND_HELP = `Usage: lightweight-push [send] -c CHANNEL --sbj SUBJECT [--msg MESSAGE] [options]
       lightweight-push listen -c CHANNEL [-c CHANNEL ...] [options]   (see: lightweight-push listen --help)

Sends an end-to-end encrypted push message. The message is encrypted on this
machine with the shared secret; the push server sees only ciphertext.
Success is silent (use -l INFO to see the channel and attempts).

Message:
  --sbj, --subject TEXT         subject (required)
  --msg, --message TEXT         message text; when absent and stdin is not a
                                terminal, stdin is sent as read (final newline too)
  -s, --state 0|1               0 normal, 1 triggered (default: no state)
  -t, --time-triggered SECONDS  when the event happened, unix time (default: now)
  -c, --channel NAME            channel: letters, digits and - _ . ~ %

Account and server:
  -u, --username EMAIL          account e-mail
  -p, --password PASSWORD       account password (visible to other users in the
                                process list: prefer the environment or config file)
  --ss, --shared-secret SECRET  secret the receivers decrypt with (same caveat)
  --endpoint URL                send endpoint (default: ${DEFAULT_ENDPOINT})
  --server URL                  your own server; sends to URL/push/send.php when
                                --endpoint is not set
  --envelope 1|2                1: AlertR compatible (default); 2: authenticated,
                                needs this project's receivers
  --no-check-ssl-certificate    do not verify the server's TLS certificate
                                (allows man-in-the-middle attacks)

Behaviour:
  -m, --max-retries N           retries after the first attempt, waiting 5 s,
                                then doubling up to a day; -1 retries forever,
                                0 makes one attempt (default: ${DEFAULT_MAX_RETRIES})
  --timeout SECONDS             timeout of each attempt (default: ${DEFAULT_TIMEOUT_MS / 1000})
  -l, --loglevel LEVEL          DEBUG, INFO, WARNING (default), ERROR, CRITICAL;
                                WARNING shows a line per retry, ERROR hides it;
                                no level shows the password, secret or text
  --config FILE                 config file (default:
                                $XDG_CONFIG_HOME/lightweight-push/config.json or
                                ~/.config/lightweight-push/config.json)
  -h, --help                    show this help
  --version                     show the version

Settings from the environment and a config file:
  Flags override environment variables, which override the config file.
    LIGHTWEIGHT_PUSH_USERNAME      LIGHTWEIGHT_PUSH_PASSWORD
    LIGHTWEIGHT_PUSH_SHARED_SECRET LIGHTWEIGHT_PUSH_CHANNEL
    LIGHTWEIGHT_PUSH_ENDPOINT      LIGHTWEIGHT_PUSH_SERVER
    LIGHTWEIGHT_PUSH_ENVELOPE      LIGHTWEIGHT_PUSH_MAX_RETRIES
    LIGHTWEIGHT_PUSH_TIMEOUT       LIGHTWEIGHT_PUSH_LOGLEVEL
    LIGHTWEIGHT_PUSH_CONFIG        LIGHTWEIGHT_PUSH_CHECK_SSL_CERTIFICATE=0
  The config file is JSON with the long option names in camelCase:
    {"username": "me@example.org", "password": "...", "sharedSecret": "...",
     "channel": "MyChannel", "endpoint": "https://push.example.org/push/send.php",
     "maxRetries": 3, "envelope": 2}
  A config file holding a password or shared secret must be private
  (chmod 600), else it is refused.

Exit status:
  ${ExitStatus.OK}    sent
  ${ExitStatus.USAGE}   bad usage or settings (nothing was sent)
  ${ExitStatus.AUTH}   authentication failed (code 2)
  ${ExitStatus.ILLEGAL_MESSAGE}   the server refused the request as malformed (code 3)
  ${ExitStatus.VERSION_MISMATCH}   protocol version mismatch (code 8)
  ${ExitStatus.PERMISSION}   no permission for the channel (code 9)
  ${ExitStatus.TOO_LARGE}   message too large to deliver (code 4)
  ${ExitStatus.GAVE_UP}   gave up: still failing after the last retry (codes 1, 5, 7, 10,
       connection failures and timeouts)
  ${ExitStatus.FAILURE}    any other failure (code 6 or an unknown code)
  ${INTERRUPTED_EXIT_STATUS}  interrupted (SIGINT or SIGTERM)

Examples:
  lightweight-push -c MyChannel --sbj "My First Message" --msg "Text"
  echo "Disk almost full" | lightweight-push -c Alerts --sbj "$(hostname)" -s 1
  export LIGHTWEIGHT_PUSH_USERNAME=me@example.org
  export LIGHTWEIGHT_PUSH_PASSWORD=... LIGHTWEIGHT_PUSH_SHARED_SECRET=...
  lightweight-push send -c Door --sbj "Door" --msg "Opened" -s 1 -m 3
  lightweight-push --config ~/door.json --sbj "Door" --msg "Closed" -s 0 -l INFO
`;
