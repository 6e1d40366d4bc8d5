/**
 * The server's Prometheus metrics, kept as plain numbers and rendered in
 * the text exposition format on `GET /metrics`.
 *
 * @module
 */

/** Upper bounds of the delivery-latency buckets, seconds. */
export const LATENCY_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Counters and histograms of one server process.
 *
 * @example
 * metrics.accepted++; metrics.observeDeliveryLatency(0.004);
 * reply.type("text/plain; version=0.0.4").send(metrics.render({ subscribers: 3 }));
 */
export class ServerMetrics {
  /** Messages accepted (durable, answered with code 0). */
  accepted = 0;
  /** Sends refused, by result code. */
  readonly rejectedByCode = new Map<number, number>();
  /** Requests answered with HTTP 429. */
  rateLimited = 0;
  /** Addresses blocked by the brute-force guard. */
  bruteForceBlocks = 0;
  /** bcrypt verifications run (cache misses and failures; a busy sender should not add to it). */
  passwordVerifications = 0;
  /** SSE connections opened since start. */
  streamsOpened = 0;
  /** Messages written to SSE streams (live and replayed). */
  eventsDelivered = 0;
  readonly #latencyCounts = new Array<number>(LATENCY_BUCKETS_SECONDS.length).fill(0);
  #latencySum = 0;
  #latencyCount = 0;

  /** Counts one refused send. */
  reject(code: number): void {
    this.rejectedByCode.set(code, (this.rejectedByCode.get(code) ?? 0) + 1);
  }

  /** Records the time from acceptance to writing a live event to a subscriber. */
  observeDeliveryLatency(seconds: number): void {
    const s = Math.max(0, seconds);
    for (let i = 0; i < LATENCY_BUCKETS_SECONDS.length; i++) {
      if (s <= (LATENCY_BUCKETS_SECONDS[i] ?? Number.POSITIVE_INFINITY)) {
        this.#latencyCounts[i] = (this.#latencyCounts[i] ?? 0) + 1;
        break;
      }
    }
    this.#latencySum += s;
    this.#latencyCount++;
  }

  /** The Prometheus text format. */
  render(gauges: { subscribers: number; pendingCommits: number }): string {
    const lines: string[] = [];
    const metric = (name: string, type: string, help: string): void => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    };
    metric("lwp_messages_accepted_total", "counter", "Messages accepted and stored.");
    lines.push(`lwp_messages_accepted_total ${this.accepted}`);
    metric("lwp_messages_rejected_total", "counter", "Sends refused, by result code.");
    for (const [code, n] of [...this.rejectedByCode].sort((a, b) => a[0] - b[0])) {
      lines.push(`lwp_messages_rejected_total{code="${code}"} ${n}`);
    }
    metric("lwp_rate_limited_total", "counter", "Requests answered with HTTP 429.");
    lines.push(`lwp_rate_limited_total ${this.rateLimited}`);
    metric("lwp_brute_force_blocks_total", "counter", "Account and address pairs blocked after failed logins.");
    lines.push(`lwp_brute_force_blocks_total ${this.bruteForceBlocks}`);
    metric("lwp_password_verifications_total", "counter", "bcrypt verifications run (remembered passwords skip them).");
    lines.push(`lwp_password_verifications_total ${this.passwordVerifications}`);
    metric("lwp_subscribers", "gauge", "Open SSE subscriptions.");
    lines.push(`lwp_subscribers ${gauges.subscribers}`);
    metric("lwp_pending_commits", "gauge", "Messages waiting for their database transaction.");
    lines.push(`lwp_pending_commits ${gauges.pendingCommits}`);
    metric("lwp_streams_opened_total", "counter", "SSE streams opened.");
    lines.push(`lwp_streams_opened_total ${this.streamsOpened}`);
    metric("lwp_events_delivered_total", "counter", "Message events written to SSE streams.");
    lines.push(`lwp_events_delivered_total ${this.eventsDelivered}`);
    metric("lwp_delivery_latency_seconds", "histogram", "Time from acceptance to writing a live event to a subscriber.");
    let cumulative = 0;
    for (let i = 0; i < LATENCY_BUCKETS_SECONDS.length; i++) {
      cumulative += this.#latencyCounts[i] ?? 0;
      lines.push(`lwp_delivery_latency_seconds_bucket{le="${LATENCY_BUCKETS_SECONDS[i]}"} ${cumulative}`);
    }
    lines.push(`lwp_delivery_latency_seconds_bucket{le="+Inf"} ${this.#latencyCount}`);
    lines.push(`lwp_delivery_latency_seconds_sum ${this.#latencySum}`);
    lines.push(`lwp_delivery_latency_seconds_count ${this.#latencyCount}`);
    return `${lines.join("\n")}\n`;
  }
}
