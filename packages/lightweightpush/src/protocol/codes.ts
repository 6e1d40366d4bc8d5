/**
 * The one table of wire result codes, shared by the client, the CLI, the
 * server and the web app. Names follow the original AlertR implementation
 * (including the misspelt `VERSION_MISSMATCH`).
 *
 * @module
 */

/** One row of the result-code table. */
export interface ResultCodeInfo {
  /** Numeric code as it travels on the wire (`{"Code": n}`). */
  readonly code: number;
  /** Name as in the original implementation. */
  readonly name: string;
  /** Human-readable meaning, safe to show to a user. */
  readonly meaning: string;
  /** Whether a sender should try again later. */
  readonly retryable: boolean;
  /** Exit status of the `lightweight-push` command when a send ends with this code. */
  readonly exitStatus: number;
  /** HTTP status the server answers with (the AlertR bridge always answers 200 with a JSON body). */
  readonly httpStatus: number;
}

/** Numeric result codes by name. */
export const ResultCode = {
  NO_ERROR: 0,
  DATABASE_ERROR: 1,
  AUTH_ERROR: 2,
  ILLEGAL_MSG_ERROR: 3,
  GOOGLE_MSG_TOO_LARGE: 4,
  GOOGLE_CONNECTION: 5,
  GOOGLE_UNKNOWN: 6,
  GOOGLE_AUTH: 7,
  VERSION_MISSMATCH: 8,
  NO_NOTIFICATION_PERMISSION: 9,
  WEB_BRIDGE_ERROR: 10,
  CLIENT_CONNECTION_ERROR: 0x1000,
  CLIENT_TIMEOUT_ERROR: 0x1001,
} as const;

/** A known result code. */
export type ResultCodeValue = (typeof ResultCode)[keyof typeof ResultCode];

/**
 * Exit statuses of the `lightweight-push` command, one per failure class.
 * They are part of the table so that scripts can rely on them.
 */
export const ExitStatus = {
  OK: 0,
  /** Unknown code, or a failure that fits no other class. */
  FAILURE: 1,
  /** Bad command-line usage or invalid input (channel, state). */
  USAGE: 64,
  AUTH: 65,
  ILLEGAL_MESSAGE: 66,
  VERSION_MISMATCH: 67,
  PERMISSION: 68,
  TOO_LARGE: 69,
  /** A retryable failure that was still failing after the last retry. */
  GAVE_UP: 75,
} as const;

const rows: readonly ResultCodeInfo[] = [
  row(0, "NO_ERROR", "accepted", false, ExitStatus.OK),
  row(1, "DATABASE_ERROR", "the push server had a database error", true, ExitStatus.GAVE_UP),
  row(2, "AUTH_ERROR", "authentication failed (unknown account, wrong password or blocked address)", false, ExitStatus.AUTH),
  row(3, "ILLEGAL_MSG_ERROR", "the push server refused the request as malformed", false, ExitStatus.ILLEGAL_MESSAGE),
  row(4, "GOOGLE_MSG_TOO_LARGE", "the message is too large to deliver", false, ExitStatus.TOO_LARGE),
  row(5, "GOOGLE_CONNECTION", "the push server could not reach its delivery service", true, ExitStatus.GAVE_UP),
  row(6, "GOOGLE_UNKNOWN", "the delivery service failed for an unknown reason", false, ExitStatus.FAILURE),
  row(7, "GOOGLE_AUTH", "the push server could not authenticate to its delivery service", true, ExitStatus.GAVE_UP),
  row(8, "VERSION_MISSMATCH", "the push server speaks another protocol version", false, ExitStatus.VERSION_MISMATCH),
  row(9, "NO_NOTIFICATION_PERMISSION", "the account may not send to the notification channel", false, ExitStatus.PERMISSION),
  row(10, "WEB_BRIDGE_ERROR", "the push server answered with an error or an unexpected reply", true, ExitStatus.GAVE_UP),
  row(0x1000, "CLIENT_CONNECTION_ERROR", "could not connect to the push server", true, ExitStatus.GAVE_UP),
  row(0x1001, "CLIENT_TIMEOUT_ERROR", "the push server did not answer in time", true, ExitStatus.GAVE_UP),
];

function row(code: number, name: string, meaning: string, retryable: boolean, exitStatus: number): ResultCodeInfo {
  // The bridge protocol carries every answer, success or not, in a 200 reply.
  return Object.freeze({ code, name, meaning, retryable, exitStatus, httpStatus: 200 });
}

const byCode = new Map(rows.map((r) => [r.code, r]));

/** Every known result code, in numeric order. */
export const resultCodes: readonly ResultCodeInfo[] = Object.freeze([...rows]);

/**
 * Looks up a result code. Unknown codes get a synthetic row that is not
 * retryable, as in the original client.
 *
 * @example
 * describeResultCode(5).retryable // true
 */
export function describeResultCode(code: number): ResultCodeInfo {
  return (
    byCode.get(code) ?? {
      code,
      name: "UNKNOWN",
      meaning: `unknown result code ${code}`,
      retryable: false,
      exitStatus: ExitStatus.FAILURE,
      httpStatus: 200,
    }
  );
}

/** Whether a sender should retry after this code. */
export function isRetryable(code: number): boolean {
  return describeResultCode(code).retryable;
}
