/**
 * The error the CLI raises for anything the user has to fix in the command
 * line, the environment or the config file. It ends the command with
 * {@link ExitStatus.USAGE} before any network traffic.
 *
 * @module
 */
import { ExitStatus } from "../protocol/codes.js";

/** Bad usage or bad settings; the message says what to fix and never holds a secret. */
export class UsageError extends Error {
  /** Always {@link ExitStatus.USAGE}. */
  readonly exitStatus: number = ExitStatus.USAGE;

  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
