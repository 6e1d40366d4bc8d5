/**
 * Operations endpoints: `GET /healthz` and `GET /metrics`.
 *
 * @module
 */
import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../extension.js";
import type { ServerMetrics } from "../metrics/metrics.js";
import type { GroupCommitter } from "../storage/group-commit.js";

/** Registers `/healthz` (checks the database answers) and `/metrics` (Prometheus text). */
export function registerOpsRoutes(
  app: FastifyInstance,
  options: {
    context: ServerContext;
    metrics: ServerMetrics;
    committer: GroupCommitter;
    isClosing: () => boolean;
    /** More Prometheus text from extensions (delivery), appended. */
    extraMetrics?: () => string;
  },
): void {
  const { context, metrics, committer } = options;
  app.get("/healthz", async (_request, reply) => {
    if (options.isClosing()) return reply.code(503).send({ status: "closing" });
    try {
      await context.storage.lastMessageId();
    } catch {
      return reply.code(503).send({ status: "database unavailable" });
    }
    return reply.send({ status: "ok" });
  });
  app.get("/metrics", async (_request, reply) =>
    reply
      .type("text/plain; version=0.0.4; charset=utf-8")
      .send(
        metrics.render({ subscribers: context.bus.subscriberCount(), pendingCommits: committer.pending }) +
          (options.extraMetrics?.() ?? ""),
      ),
  );
}
