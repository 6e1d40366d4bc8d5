/**
 * Reading a new password without it ever appearing in argv, the shell
 * history or the terminal: from a prompt with echo off, or from stdin.
 *
 * @module
 */
import { UsageError } from "./args.js";

/** Reads all of stdin; a single trailing newline is dropped. */
export async function readPasswordFromStdin(stdin: NodeJS.ReadStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}

/** Prompts on the terminal with echo off; asks twice and requires both to match. */
export async function promptNewPassword(
  stdin: NodeJS.ReadStream = process.stdin,
  stderr: NodeJS.WriteStream = process.stderr,
): Promise<string> {
  if (!stdin.isTTY) throw new UsageError("no terminal to prompt for the password: pipe it in with --password-stdin");
  const first = await promptHidden("New password: ", stdin, stderr);
  const second = await promptHidden("Repeat password: ", stdin, stderr);
  if (first !== second) throw new UsageError("the passwords do not match");
  return first;
}

function promptHidden(question: string, stdin: NodeJS.ReadStream, stderr: NodeJS.WriteStream): Promise<string> {
  return new Promise((resolve, reject) => {
    stderr.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    let value = "";
    const finish = (error?: Error): void => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off("data", onData);
      stderr.write("\n");
      if (error === undefined) resolve(value);
      else reject(error);
    };
    const onData = (data: Buffer): void => {
      for (const ch of data.toString("utf8")) {
        if (ch === "\r" || ch === "\n") {
          finish();
          return;
        }
        if (ch === "\u0003") {
          finish(new UsageError("cancelled"));
          return;
        }
        if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on("data", onData);
  });
}
