/**
 * The SQLite writer thread: commits message batches on its own connection
 * so that the fsync of each commit does not stall the server's event loop.
 * Only this thread inserts messages, so ids follow commit order.
 *
 * @module
 */
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import type { NewMessage, SendStat } from "../storage.js";

/** A request to the writer thread. */
export type WriterRequest =
  | { readonly kind: "insert"; readonly seq: number; readonly messages: readonly NewMessage[]; readonly stats: readonly SendStat[] }
  | { readonly kind: "close" };

/** The writer thread's answer to one insert. */
export type WriterReply = { readonly seq: number; readonly ids: number[] } | { readonly seq: number; readonly error: string };

/** What the writer thread is started with. */
export interface WriterData {
  readonly path: string;
  readonly busyTimeoutMs: number;
}

if (parentPort !== null) {
  const port = parentPort;
  const { path, busyTimeoutMs } = workerData as WriterData;
  const db = new Database(path);
  db.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  const insertMessage = db.prepare("INSERT INTO messages (channel, payload, time_ms) VALUES (?, ?, ?)");
  const insertStat = db.prepare("INSERT INTO send_stats (username, address, channel, time_ms) VALUES (?, ?, ?, ?)");
  const insertBatch = db.transaction((messages: readonly NewMessage[], stats: readonly SendStat[]) => {
    const ids: number[] = [];
    for (const m of messages) ids.push(Number(insertMessage.run(m.channel, m.payload, m.timeMs).lastInsertRowid));
    for (const s of stats) insertStat.run(s.username, s.address, s.channel, s.timeMs);
    return ids;
  });
  // Requests that arrived while a transaction ran are merged into the next one: one fsync for all of them.
  let queued: Extract<WriterRequest, { kind: "insert" }>[] = [];
  let closing = false;
  const flush = (): void => {
    const requests = queued;
    queued = [];
    if (requests.length > 0) {
      try {
        const ids = insertBatch.immediate(
          requests.flatMap((r) => r.messages),
          requests.flatMap((r) => r.stats),
        );
        let offset = 0;
        for (const r of requests) {
          port.postMessage({ seq: r.seq, ids: ids.slice(offset, offset + r.messages.length) } satisfies WriterReply);
          offset += r.messages.length;
        }
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        for (const r of requests) port.postMessage({ seq: r.seq, error: message } satisfies WriterReply);
      }
    }
    if (closing) {
      db.close();
      port.close();
    }
  };
  port.on("message", (request: WriterRequest) => {
    if (request.kind === "close") closing = true;
    else queued.push(request);
    if (queued.length === 1 || closing) setImmediate(flush);
  });
}
