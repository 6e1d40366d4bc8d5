/**
 * Error classes of the `lightweightpush` package. Every error carries a
 * stable `code`: a numeric wire result code for send failures, or a string
 * for local failures.
 *
 * @module
 */
import { describeResultCode } from "./codes.js";

/** Base class of every error this package throws. */
export class LightweightPushError extends Error {
  /** Stable machine-readable code. */
  readonly code: number | string;

  constructor(message: string, code: number | string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "LightweightPushError";
    this.code = code;
  }
}

/** The input was refused before any network traffic (bad channel, bad state, ...). */
export class InvalidInputError extends LightweightPushError {
  constructor(message: string) {
    super(message, "INVALID_INPUT");
    this.name = "InvalidInputError";
  }
}

/**
 * A send ended without `NO_ERROR`. `code` is the protocol's numeric result
 * code of the final attempt; `attempts` how many requests were made.
 */
export class SendError extends LightweightPushError {
  declare readonly code: number;
  /** Number of requests sent (1 + retries). */
  readonly attempts: number;

  constructor(code: number, attempts: number, options?: { cause?: unknown }) {
    const info = describeResultCode(code);
    super(`push failed with code ${code} (${info.name}): ${info.meaning}`, code, options);
    this.name = "SendError";
    this.attempts = attempts;
  }

  /** Whether the failure was of a kind that a later attempt might cure. */
  get retryable(): boolean {
    return describeResultCode(this.code).retryable;
  }
}

/**
 * A message could not be opened. Deliberately opaque: wrong secret, wrong
 * channel, tampering, bad base64 and bad JSON all look the same.
 */
export class DecryptionFailedError extends LightweightPushError {
  constructor() {
    super("message could not be decrypted", "DECRYPTION_FAILED");
    this.name = "DecryptionFailedError";
  }
}
