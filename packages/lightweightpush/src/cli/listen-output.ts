/**
 * What `lightweight-push listen` does with a received message: a readable
 * text block, one JSON line, or the environment of an `--exec` command.
 *
 * @module
 */
import { spawn } from "node:child_process";
import type { PushPayload } from "../protocol/payload.js";
import type { TextWriter } from "./io.js";

/** A decrypted message together with where and when it arrived. */
export interface ListenedMessage {
  /** The channel as the user named it (without the account prefix). */
  readonly channel: string;
  readonly prefixedChannel: string;
  /** Server message id. */
  readonly id: string;
  /** When the server accepted it, unix seconds. */
  readonly serverTime: number;
  readonly envelope: 1 | 2;
  readonly payload: PushPayload;
}

/** The state as words: `triggered`, `normal` or `none`. */
export function stateName(payload: PushPayload): "triggered" | "normal" | "none" {
  if (!payload.is_sa || payload.st === undefined) return "none";
  return payload.st === 1 ? "triggered" : "normal";
}

/** Local date and time as `YYYY-MM-DD HH:MM:SS`. */
export function formatLocalTime(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const two = (n: number): string => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

// Whoever holds the shared secret writes these strings; terminal control
// sequences in them must not reach the terminal as such.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g;

function visible(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

const STATE_LABEL = { triggered: "TRIGGERED", normal: "normal   ", none: "none     " } as const;

/**
 * The text form: one header line (time triggered, state, channel,
 * subject), then the message with every line indented by four spaces.
 *
 * @example
 * formatTextMessage(m)
 * // "2026-12-04 15:30:12  TRIGGERED  FrontDoor  Door opened\n    at 15:30\n"
 */
export function formatTextMessage(m: ListenedMessage): string {
  const header = `${formatLocalTime(m.payload.tt)}  ${STATE_LABEL[stateName(m.payload)]}  ${visible(m.channel)}  ${visible(m.payload.sbj.replace(/\r\n|\r|\n/g, " "))}`;
  const body = m.payload.msg === "" ? [] : m.payload.msg.split(/\r\n|\r|\n/).map((line) => `    ${visible(line)}`);
  return `${[header, ...body].join("\n")}\n`;
}

/** The `--json` form: one object on one line. */
export function formatJsonMessage(m: ListenedMessage): string {
  return `${JSON.stringify({
    channel: m.channel,
    prefixedChannel: m.prefixedChannel,
    id: m.id,
    subject: m.payload.sbj,
    message: m.payload.msg,
    state: m.payload.is_sa && m.payload.st !== undefined ? m.payload.st : null,
    timeTriggered: m.payload.tt,
    timeSent: m.payload.ts,
    serverTime: m.serverTime,
    envelope: m.envelope,
  })}\n`;
}

/**
 * The `LWP_*` variables an `--exec` command gets. `LWP_STATE` is `1`
 * (triggered), `0` (normal) or empty (no state).
 */
export function execVariables(m: ListenedMessage): Record<string, string> {
  // An environment value cannot hold NUL; everything else passes unchanged.
  const clean = (s: string): string => s.replaceAll("\u0000", "");
  return {
    LWP_SUBJECT: clean(m.payload.sbj),
    LWP_MESSAGE: clean(m.payload.msg),
    LWP_STATE: m.payload.is_sa && m.payload.st !== undefined ? String(m.payload.st) : "",
    LWP_CHANNEL: m.channel,
    LWP_PREFIXED_CHANNEL: m.prefixedChannel,
    LWP_TIME_TRIGGERED: String(m.payload.tt),
    LWP_TIME_SENT: String(m.payload.ts),
    LWP_SERVER_TIME: String(m.serverTime),
    LWP_ID: m.id,
    LWP_ENVELOPE: String(m.envelope),
  };
}

/** Where an `--exec` command's output goes. */
export interface ExecOutput {
  readonly stdout: TextWriter;
  readonly stderr: TextWriter;
}

/**
 * Runs `command` with `/bin/sh -c` and resolves when it ends: with its exit
 * status, or with the signal that ended it. Aborting `signal` sends the
 * command's process group SIGTERM. Rejects only when the shell cannot be started.
 */
export function runExecCommand(
  command: string,
  env: Readonly<Record<string, string>>,
  output: ExecOutput,
  signal?: AbortSignal,
): Promise<{ status: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    // Its own process group, so that stopping it reaches whatever the shell started too.
    const child = spawn("/bin/sh", ["-c", command], { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    // Copied rather than piped: the listener's own streams outlive every command.
    child.stdout.setEncoding("utf8").on("data", (text: string) => output.stdout.write(text));
    child.stderr.setEncoding("utf8").on("data", (text: string) => output.stderr.write(text));
    const onAbort = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGTERM");
      } catch {
        // Already gone.
      }
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    child.on("error", (error) => {
      signal?.removeEventListener("abort", onAbort);
      reject(error);
    });
    child.on("close", (status, killedBy) => {
      signal?.removeEventListener("abort", onAbort);
      resolve({ status, signal: killedBy });
    });
  });
}
