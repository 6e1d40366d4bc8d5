/**
 * OAuth 2.0 access tokens for FCM from a service account: google-auth-library
 * signs the RS256 JWT and exchanges it at the token endpoint, and caches the
 * token until five minutes before it expires. The token URL is
 * configurable so that tests (or a proxy) can stand in for Google.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { JWT } from "google-auth-library";

/** Google's token endpoint; also the JWT `aud` wherever the request goes. */
export const GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token";

/** The scope that allows sending with FCM HTTP v1. */
export const FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging";

/** The fields of a service-account JSON file that delivery uses. */
export interface ServiceAccount {
  readonly projectId: string;
  readonly clientEmail: string;
  /** PEM; never logged. */
  readonly privateKey: string;
  readonly privateKeyId: string | undefined;
}

/**
 * Reads a service-account JSON file. Errors name the file and the missing
 * field, never the key.
 */
export function readServiceAccount(file: string): ServiceAccount {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`cannot read the FCM service-account file ${file}: ${(error as NodeJS.ErrnoException).code ?? "not JSON"}`);
  }
  const json = (typeof parsed === "object" && parsed !== null ? parsed : {}) as Record<string, unknown>;
  for (const field of ["client_email", "private_key", "project_id"] as const) {
    if (typeof json[field] !== "string" || json[field] === "") {
      throw new Error(
        `the FCM service-account file ${file} lacks "${field}" (download a key for a service account in the Firebase console)`,
      );
    }
  }
  if (json.type !== undefined && json.type !== "service_account") {
    throw new Error(`the FCM service-account file ${file} is a "${String(json.type)}" credential, not a service account`);
  }
  return {
    projectId: json.project_id as string,
    clientEmail: json.client_email as string,
    privateKey: json.private_key as string,
    privateKeyId: typeof json.private_key_id === "string" ? json.private_key_id : undefined,
  };
}

/** A failure to get a token: `connection` when the endpoint could not be reached or answered 5xx/429. */
export class AccessTokenError extends Error {
  override readonly name = "AccessTokenError";
  readonly code = "FCM_ACCESS_TOKEN";
  constructor(
    message: string,
    readonly kind: "auth" | "connection",
  ) {
    super(message);
  }
}

/** Settings of {@link FcmAccessTokens}. */
export interface FcmAccessTokensOptions {
  readonly serviceAccount: ServiceAccount;
  /** @default GOOGLE_TOKEN_URL */
  readonly tokenUrl?: string;
  /** Per-request timeout, ms. @default 30000 */
  readonly timeoutMs?: number;
}

/**
 * Access tokens of one service account.
 *
 * @example
 * const tokens = new FcmAccessTokens({ serviceAccount: readServiceAccount(file) });
 * const bearer = await tokens.get();
 */
export class FcmAccessTokens {
  readonly #client: JWT;

  constructor(options: FcmAccessTokensOptions) {
    const { serviceAccount } = options;
    const tokenUrl = options.tokenUrl ?? GOOGLE_TOKEN_URL;
    const timeoutMs = options.timeoutMs ?? 30_000;
    this.#client = new JWT({
      email: serviceAccount.clientEmail,
      key: serviceAccount.privateKey,
      ...(serviceAccount.privateKeyId === undefined ? {} : { keyId: serviceAccount.privateKeyId }),
      scopes: [FCM_SCOPE],
    });
    // The library posts to Google's fixed URL; send it where configured instead.
    // Its own retries are off: the outbox retries with backoff.
    this.#client.transporter.interceptors.request.add({
      resolved: async (request) => {
        if (String(request.url) === GOOGLE_TOKEN_URL) {
          request.url = new URL(tokenUrl);
          request.retry = false;
          request.retryConfig = { ...request.retryConfig, retry: 0 };
          request.timeout = timeoutMs;
        }
        return request;
      },
    });
  }

  /** A valid access token: the cached one, or a new one when it nears expiry. */
  async get(): Promise<string> {
    try {
      const { token } = await this.#client.getAccessToken();
      if (typeof token !== "string" || token === "") throw new AccessTokenError("the token endpoint answered without a token", "auth");
      return token;
    } catch (error) {
      if (error instanceof AccessTokenError) throw error;
      const status = (error as { status?: unknown; response?: { status?: unknown } }).response?.status;
      // 4xx (invalid_grant: bad key, clock skew, deleted account) is an authentication failure; the rest is the connection.
      if (typeof status === "number" && status >= 400 && status < 500 && status !== 429) {
        throw new AccessTokenError(`token endpoint refused the service account: ${(error as Error).message}`, "auth");
      }
      throw new AccessTokenError(`cannot get an access token: ${(error as Error).message}`, "connection");
    }
  }

  /** Forgets the cached token (FCM answered 401), so the next {@link FcmAccessTokens.get} fetches a new one. */
  invalidate(): void {
    this.#client.credentials = { refresh_token: "jwt-placeholder", expiry_date: 1 };
  }
}
