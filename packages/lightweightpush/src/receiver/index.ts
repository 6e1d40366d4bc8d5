/**
 * Receiving Lightweight Push messages on a device: the server's event
 * format, an SSE parser for runtimes without `EventSource`, and a
 * {@link Receiver} that decrypts and drops replays. Runtime-neutral: the
 * CLI listener and the web app both use it.
 *
 * @module
 */
export * from "./receiver.js";
export * from "./server-event.js";
export * from "./sse-parser.js";
