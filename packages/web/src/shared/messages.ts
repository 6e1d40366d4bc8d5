/**
 * Messages between the service worker and open pages.
 *
 * @module
 */

/** The worker stored new history entries: pages reload their list. */
export interface HistoryChanged {
  readonly type: "history-changed";
}

/** A notification was tapped: the page shows that entry. */
export interface OpenEntry {
  readonly type: "open-entry";
  readonly key: string;
}

/** Anything the worker posts to a page. */
export type WorkerMessage = HistoryChanged | OpenEntry;
