/**
 * Counters of FCM and Web Push delivery, rendered in the Prometheus text
 * format and appended to the server's `GET /metrics`.
 *
 * @module
 */
import type { AdapterName } from "./delivery-store.js";

type ByAdapterAndCode = Map<string, number>;

function bump(map: ByAdapterAndCode, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/**
 * Delivery counters of one process.
 *
 * @example
 * metrics.delivered("fcm"); metrics.failed("webpush", 5, true);
 */
export class DeliveryMetrics {
  readonly #delivered = new Map<string, number>();
  readonly #retried: ByAdapterAndCode = new Map();
  readonly #dropped: ByAdapterAndCode = new Map();
  readonly #pending = new Map<string, number>();
  readonly #expired = new Map<string, number>();
  #pruned = 0;
  #refused = 0;

  /** One successful delivery. */
  delivered(adapter: AdapterName): void {
    bump(this.#delivered, adapter);
  }

  /** One failed attempt; `willRetry` tells whether the outbox keeps it. */
  failed(adapter: AdapterName, code: number, willRetry: boolean): void {
    bump(willRetry ? this.#retried : this.#dropped, `${adapter}\u0000${code}`);
  }

  /** A delivery dropped because its message had grown too old (or left the cache). */
  expired(adapter: AdapterName): void {
    bump(this.#expired, adapter);
  }

  /** A Web Push subscription removed after its push service answered 404/410. */
  pruned(): void {
    this.#pruned++;
  }

  /** A send refused at once because it cannot fit FCM's limit. */
  refusedTooBig(): void {
    this.#refused++;
  }

  /** Rows waiting in an adapter's outbox. */
  setPending(adapter: AdapterName, rows: number): void {
    this.#pending.set(adapter, rows);
  }

  /** Value of a counter, for tests and logs. */
  count(what: "delivered" | "retried" | "dropped" | "expired", adapter: AdapterName, code?: number): number {
    if (what === "delivered") return this.#delivered.get(adapter) ?? 0;
    if (what === "expired") return this.#expired.get(adapter) ?? 0;
    const map = what === "retried" ? this.#retried : this.#dropped;
    let n = 0;
    for (const [key, value] of map) {
      const [a, c] = key.split("\u0000");
      if (a === adapter && (code === undefined || Number(c) === code)) n += value;
    }
    return n;
  }

  /** Subscriptions pruned so far. */
  get prunedCount(): number {
    return this.#pruned;
  }

  /** The Prometheus text format. */
  render(): string {
    const lines: string[] = [];
    const metric = (name: string, type: string, help: string): void => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    };
    metric("lwp_push_delivered_total", "counter", "Messages delivered to FCM or a Web Push service.");
    for (const [adapter, n] of [...this.#delivered].sort()) lines.push(`lwp_push_delivered_total{adapter="${adapter}"} ${n}`);
    metric("lwp_push_failures_total", "counter", "Failed delivery attempts, by adapter, result code and outcome.");
    for (const [outcome, map] of [
      ["retry", this.#retried],
      ["dropped", this.#dropped],
    ] as const) {
      for (const [key, n] of [...map].sort()) {
        const [adapter, code] = key.split("\u0000");
        lines.push(`lwp_push_failures_total{adapter="${adapter}",code="${code}",outcome="${outcome}"} ${n}`);
      }
    }
    metric("lwp_push_expired_total", "counter", "Deliveries dropped because the message was too old or left the cache.");
    for (const [adapter, n] of [...this.#expired].sort()) lines.push(`lwp_push_expired_total{adapter="${adapter}"} ${n}`);
    metric("lwp_push_outbox_pending", "gauge", "Deliveries waiting in the outbox.");
    for (const [adapter, n] of [...this.#pending].sort()) lines.push(`lwp_push_outbox_pending{adapter="${adapter}"} ${n}`);
    metric("lwp_webpush_subscriptions_pruned_total", "counter", "Web Push subscriptions removed after 404 or 410.");
    lines.push(`lwp_webpush_subscriptions_pruned_total ${this.#pruned}`);
    metric("lwp_fcm_refused_too_big_total", "counter", "Sends refused with code 4 because they cannot fit FCM's limit.");
    lines.push(`lwp_fcm_refused_too_big_total ${this.#refused}`);
    return `${lines.join("\n")}\n`;
  }
}
