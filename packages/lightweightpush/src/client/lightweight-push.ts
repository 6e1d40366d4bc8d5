/**
 * The `LightweightPush` client: encrypts on this machine and posts to a
 * push server, retrying as the original does.
 *
 * @module
 */
import { prefixedChannel } from "../protocol/channel.js";
import { describeResultCode, ResultCode } from "../protocol/codes.js";
import type { CryptoBackend, RandomSource } from "../protocol/crypto.js";
import { newMessageId } from "../protocol/envelope-v2.js";
import { InvalidInputError, SendError } from "../protocol/errors.js";
import { parseReply, sealedFrameSerializer } from "../protocol/frame.js";
import { type EnvelopeVersion, type MessageInput, sealMessage, validateMessageInput } from "../protocol/message.js";
import type { MessageState } from "../protocol/payload.js";
import { type Clock, systemClock } from "./clock.js";
import { nodeCryptoBackend, nodeRandom } from "./node-crypto.js";
import { DEFAULT_MAX_RETRIES, retryDelayMs } from "./retry.js";
import { buildPushRequest, fetchTransport, nodeTransport, type Transport, TransportError } from "./transport.js";

/** The AlertR push service. */
export const DEFAULT_ENDPOINT = "https://push.alertr.de/push/send.php";
/** Per-attempt timeout of the original client. */
export const DEFAULT_TIMEOUT_MS = 30_000;

/** Options of {@link LightweightPush}. */
export interface LightweightPushOptions {
  /**
   * The send endpoint.
   * @default "https://push.alertr.de/push/send.php"
   */
  readonly endpoint?: string;
  /**
   * Envelope format: 1 (AlertR compatible) or 2 (authenticated; needs a receiver from this project).
   * @default 1
   */
  readonly envelope?: EnvelopeVersion;
  /**
   * A `fetch` to send with instead of the built-in `node:http(s)` transport.
   * @default undefined
   */
  readonly fetch?: typeof fetch;
  /**
   * Whether to verify the server's TLS certificate (built-in transport only).
   * @default true
   */
  readonly checkCertificate?: boolean;
  /**
   * Whether connections stay open for the next send (built-in transport
   * only). A program that sends once and exits may pass `false`: a
   * plain-HTTP send then goes out through a smaller HTTP client that
   * starts faster, as the `lightweight-push` command does.
   * @default true
   */
  readonly keepAlive?: boolean;
  /**
   * Clock for timestamps and retry waits.
   * @default the system clock
   */
  readonly clock?: Clock;
  /**
   * Source of IVs, nonces and message ids.
   * @default node:crypto randomFillSync
   */
  readonly random?: RandomSource;
  /**
   * Crypto primitives.
   * @default node:crypto
   */
  readonly crypto?: CryptoBackend;
}

/** Information about one retry, passed to {@link SendOptions.onRetry}. */
export interface RetryInfo {
  /** The attempt that failed, counting from 1. */
  readonly attempt: number;
  /** The result code of that attempt. */
  readonly code: number;
  /** The wait before the next attempt. */
  readonly delayMs: number;
}

/** Options of {@link LightweightPush.sendMsg}. */
export interface SendOptions {
  /**
   * State: 0 normal, 1 triggered.
   * @default undefined (no state)
   */
  readonly state?: MessageState | undefined;
  /**
   * Time triggered, unix seconds.
   * @default now
   */
  readonly timeTriggered?: number | undefined;
  /**
   * Retries after the first attempt; -1 retries forever, 0 makes one attempt.
   * @default 16
   */
  readonly maxRetries?: number | undefined;
  /**
   * Timeout of each attempt, in milliseconds.
   * @default 30000
   */
  readonly timeoutMs?: number | undefined;
  /** Aborts the send, including a retry wait. */
  readonly signal?: AbortSignal | undefined;
  /** Called before each retry wait. */
  readonly onRetry?: ((info: RetryInfo) => void) | undefined;
}

/** What a successful send reports. */
export interface SendReceipt {
  /** Requests made, the successful one included. */
  readonly attempts: number;
  /** The channel as sent on the wire (with the account prefix). */
  readonly channel: string;
  /** Whether subject or message was cut to fit the size limit. */
  readonly truncated: boolean;
}

/**
 * Sends end-to-end encrypted push messages. Only devices that hold the
 * shared secret can read them; the push server sees ciphertext.
 *
 * @example
 * import { LightweightPush } from "lightweightpush";
 * const push = new LightweightPush("my_email@alertr.de", "super_secret_password", "shared_secret_to_encrypt_msg");
 * await push.sendMsg("Subject of Message", "Message text", "MyChannel");
 */
export class LightweightPush {
  readonly #username: string;
  readonly #password: string;
  readonly #sharedSecret: string;
  readonly #endpoint: string;
  readonly #envelope: EnvelopeVersion;
  readonly #transport: Transport;
  readonly #clock: Clock;
  readonly #random: RandomSource;
  readonly #crypto: CryptoBackend;

  constructor(username: string, password: string, sharedSecret: string, options: LightweightPushOptions = {}) {
    if (typeof username !== "string" || typeof password !== "string" || typeof sharedSecret !== "string") {
      throw new InvalidInputError("username, password and shared secret have to be strings.");
    }
    const envelope = options.envelope ?? 1;
    if (envelope !== 1 && envelope !== 2) throw new InvalidInputError("envelope has to be 1 or 2.");
    this.#username = username;
    this.#password = password;
    this.#sharedSecret = sharedSecret;
    this.#endpoint = options.endpoint ?? DEFAULT_ENDPOINT;
    // Refused here rather than at the first send, where it would surface as a transport error.
    if (!URL.canParse(this.#endpoint) || !/^https?:$/.test(new URL(this.#endpoint).protocol)) {
      throw new InvalidInputError("endpoint has to be an http or https URL.");
    }
    this.#envelope = envelope;
    this.#transport = options.fetch
      ? fetchTransport(options.fetch)
      : nodeTransport({ checkCertificate: options.checkCertificate, keepAlive: options.keepAlive });
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? nodeRandom;
    this.#crypto = options.crypto ?? nodeCryptoBackend;
  }

  /**
   * Encrypts and sends one message to `channel`, retrying retryable
   * failures. Resolves with a {@link SendReceipt}; rejects with
   * `SendError` (its `code` is the protocol's result code) when the last
   * attempt fails, with `InvalidInputError` before any network traffic for
   * a bad channel, state or time, and with the signal's reason on abort.
   */
  async sendMsg(subject: string, message: string, channel: string, options: SendOptions = {}): Promise<SendReceipt> {
    const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
    if (!Number.isInteger(maxRetries) || maxRetries < -1) {
      throw new InvalidInputError("maxRetries has to be -1 (forever), 0 or a positive whole number.");
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!(timeoutMs > 0)) throw new InvalidInputError("timeoutMs has to be positive.");
    const input: MessageInput = {
      subject,
      message,
      state: options.state,
      timeTriggered: options.timeTriggered ?? this.#nowSeconds(),
    };
    validateMessageInput(channel, input);
    const wireChannel = await prefixedChannel(this.#username, channel, this.#crypto);
    const sealOptions = {
      username: this.#username,
      sharedSecret: this.#sharedSecret,
      prefixedChannel: wireChannel,
      envelope: this.#envelope,
      crypto: this.#crypto,
      random: this.#random,
      // One id for all attempts: receivers drop a retry whose earlier attempt got through.
      messageId: this.#envelope === 2 ? newMessageId(this.#random) : undefined,
    };

    const toFrame = sealedFrameSerializer(this.#username, this.#password, wireChannel);

    for (let attempt = 1; ; attempt++) {
      options.signal?.throwIfAborted();
      const sealed = await sealMessage(input, this.#nowSeconds(), sealOptions);
      const frame = toFrame(sealed.data);
      const code = await this.#attempt(frame, timeoutMs, options.signal);
      if (code === ResultCode.NO_ERROR) return { attempts: attempt, channel: wireChannel, truncated: sealed.truncated };
      const retriesDone = attempt - 1;
      const mayRetry = maxRetries === -1 || retriesDone < maxRetries;
      if (!describeResultCode(code).retryable || !mayRetry) throw new SendError(code, attempt);
      const delayMs = retryDelayMs(retriesDone);
      options.onRetry?.({ attempt, code, delayMs });
      await this.#clock.sleep(delayMs, options.signal);
    }
  }

  async #attempt(frame: string, timeoutMs: number, userSignal: AbortSignal | undefined): Promise<number> {
    try {
      const reply = await this.#transport(buildPushRequest(this.#endpoint, frame), { signal: userSignal, timeoutMs });
      return parseReply(reply.status, reply.body);
    } catch (error) {
      userSignal?.throwIfAborted();
      if (error instanceof TransportError) return error.code;
      throw error;
    }
  }

  #nowSeconds(): number {
    return Math.floor(this.#clock.nowMs() / 1000);
  }
}
