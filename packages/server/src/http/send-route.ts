/**
 * `POST /push/send.php`: the AlertR web-bridge send protocol. Every answer
 * is HTTP 200 with `{"Code": n}` (written as Python writes it), except a
 * missing form field (`{"code": 10, "reason": ...}`, as the bridge says it)
 * and rate limits (HTTP 429, which senders retry).
 *
 * @module
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { pythonJsonString, ResultCode } from "lightweightpush/protocol";
import type { Authenticator } from "../auth/authenticator.js";
import type { ServerContext } from "../extension.js";
import type { ServerMetrics } from "../metrics/metrics.js";
import type { GroupCommitter } from "../storage/group-commit.js";
import { NOTIFICATION_ACL } from "../storage/storage.js";
import { FormEncodingError, readFormField } from "./form.js";
import {
  checkPayload,
  checkWireChannel,
  type FrameRejection,
  isNotificationChannelFast,
  isRejection,
  readSendFrame,
} from "./send-frame.js";

/** Path of the send endpoint, as on the AlertR service. */
export const SEND_PATH = "/push/send.php";

/** What the send route needs. */
export interface SendRouteOptions {
  readonly context: ServerContext;
  readonly authenticator: Authenticator;
  readonly committer: GroupCommitter;
  readonly metrics: ServerMetrics;
  /** Extensions' checks of a message before it is stored (e.g. FCM's size limit); a refusal is answered instead. */
  readonly checkMessage?: (channel: string, payload: string) => FrameRejection | undefined;
}

// Made once: the accepted answer is most answers, and a Buffer needs no encoding or length computation per reply.
const ACCEPTED = Buffer.from('{"Code": 0}');
const FORM_CONTENT_TYPE = /^application\/x-www-form-urlencoded\s*(;|$)/i;

/** `{"Code": n, ...}` with Python's separators, as the original service writes it. */
function codeBody(rejection: FrameRejection): string {
  let out = `{"Code": ${rejection.code}`;
  if (rejection.version !== undefined) out += `, "version": ${rejection.version}`;
  return `${out}, "reason": ${pythonJsonString(rejection.reason)}}`;
}

/**
 * Registers the send route in its own scope: its body parser reads any
 * content type as bytes (so a wrong one is answered with a code, not a 415)
 * and its error handler turns an oversized body into a clear, final answer.
 */
export async function registerSendRoute(app: FastifyInstance, options: SendRouteOptions): Promise<void> {
  const { context, authenticator, committer, metrics } = options;
  const { config, counters, log } = context;
  const rateWindowMs = config.rateLimitWindowSeconds * 1000;

  await app.register(async (scope) => {
    // No per-request child logger on the hot path (it costs more than it tells: this route logs only failures).
    scope.setChildLoggerFactory((logger) => logger);
    scope.removeAllContentTypeParsers();
    const keepBytes = (_request: FastifyRequest, body: Buffer | string, done: (error: null, body: Buffer | string) => void): void =>
      done(null, body);
    // The form type by name as well: Fastify caches parsers looked up by name, while "*" costs a
    // content-type parse per request.
    scope.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "buffer" }, keepBytes);
    scope.addContentTypeParser("*", { parseAs: "buffer" }, keepBytes);
    scope.setErrorHandler((error: { code?: string; statusCode?: number }, request, reply) => {
      if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
        // Final, not retryable: the same body would be refused again.
        metrics.reject(ResultCode.GOOGLE_MSG_TOO_LARGE);
        return reply
          .code(200)
          .type("application/json")
          .send(codeBody({ code: ResultCode.GOOGLE_MSG_TOO_LARGE, reason: `request body is larger than ${config.bodyLimitBytes} bytes` }));
      }
      if (error.statusCode !== undefined && error.statusCode < 500) {
        metrics.reject(ResultCode.ILLEGAL_MSG_ERROR);
        return reply
          .code(200)
          .type("application/json")
          .send(codeBody({ code: ResultCode.ILLEGAL_MSG_ERROR, reason: "malformed request" }));
      }
      request.log.error({ err: error }, "send failed");
      return reply
        .code(200)
        .type("application/json")
        .send(codeBody({ code: ResultCode.DATABASE_ERROR, reason: "internal error" }));
    });

    const refuse = (reply: FastifyReply, rejection: FrameRejection): FastifyReply => {
      metrics.reject(rejection.code);
      return reply.code(200).type("application/json").send(codeBody(rejection));
    };

    const tooMany = (reply: FastifyReply, what: string): FastifyReply => {
      metrics.rateLimited++;
      return reply
        .code(429)
        .header("retry-after", String(config.rateLimitWindowSeconds))
        .type("application/json")
        .send(
          `{"code": ${ResultCode.WEB_BRIDGE_ERROR}, "reason": ${pythonJsonString(`too many requests from this ${what}; try again later`)}}`,
        );
    };

    scope.post(SEND_PATH, { bodyLimit: config.bodyLimitBytes }, async (request: FastifyRequest, reply: FastifyReply) => {
      const address = request.ip;
      if (
        config.addressSendsPerWindow > 0 &&
        (await counters.increment(`rate-addr:${address}`, rateWindowMs)) > config.addressSendsPerWindow
      ) {
        return tooMany(reply, "address");
      }

      let frameText: string | undefined;
      const body = request.body;
      if (FORM_CONTENT_TYPE.test(request.headers["content-type"] ?? "") && body instanceof Buffer) {
        try {
          frameText = readFormField(body, "data");
        } catch (error) {
          if (!(error instanceof FormEncodingError)) throw error;
          return refuse(reply, { code: ResultCode.ILLEGAL_MSG_ERROR, reason: error.message });
        }
      }
      if (frameText === undefined) {
        metrics.reject(ResultCode.WEB_BRIDGE_ERROR);
        return reply
          .code(200)
          .type("application/json")
          .send(
            `{"code": ${ResultCode.WEB_BRIDGE_ERROR}, "reason": "form field \\"data\\" is missing (send application/x-www-form-urlencoded)"}`,
          );
      }

      const frame = readSendFrame(frameText);
      if (isRejection(frame)) return refuse(reply, frame);

      const auth = await authenticator.authenticate(frame.username, frame.password, address);
      if (!auth.ok) {
        if (auth.blockedNow) {
          metrics.bruteForceBlocks++;
          log.warn({ username: frame.username, address }, "too many failed logins: address blocked");
        } else {
          log.info({ username: frame.username, address, failure: auth.failure }, "authentication failed");
        }
        return refuse(reply, { code: ResultCode.AUTH_ERROR, reason: "authentication failed" });
      }

      if (
        config.accountSendsPerWindow > 0 &&
        (await counters.increment(`rate-account:${frame.username}`, rateWindowMs)) > config.accountSendsPerWindow
      ) {
        return tooMany(reply, "account");
      }

      if (isNotificationChannelFast(frame.channel) && !auth.account.acl.includes(NOTIFICATION_ACL)) {
        return refuse(reply, { code: ResultCode.NO_NOTIFICATION_PERMISSION, reason: "no permission for the notification channel" });
      }
      const channel = checkWireChannel(frame.channel, config.maxChannelLength);
      if ("code" in channel) return refuse(reply, channel);
      const payloadProblem = checkPayload(frame.data, config.maxPayloadLength);
      if (payloadProblem !== undefined) return refuse(reply, payloadProblem);
      const extensionProblem = options.checkMessage?.(channel.channel, frame.data);
      if (extensionProblem !== undefined) return refuse(reply, extensionProblem);

      try {
        await committer.submit(
          { channel: channel.channel, payload: frame.data, timeMs: context.now() },
          { username: frame.username, address },
        );
      } catch (error) {
        request.log.error({ err: error }, "storing a message failed");
        return refuse(reply, { code: ResultCode.DATABASE_ERROR, reason: "the message could not be stored; try again" });
      }
      return reply.type("application/json").send(ACCEPTED);
    });
  });
}
