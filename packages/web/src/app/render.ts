/**
 * Building the message list and the detail view. Text from messages only
 * ever goes into `textContent`, so a message cannot inject markup.
 *
 * @module
 */
import {
  channelName,
  type DisplayState,
  detailPath,
  displayState,
  type HistoryRecord,
  STATE_LABEL,
  UNDECRYPTABLE_TEXT,
} from "../shared/records.js";

type EntryState = DisplayState | "error";

const BADGE_ICON: Readonly<Record<EntryState, string>> = { triggered: "\u25b2", normal: "\u25cf", none: "\u25cb", error: "\u2715" };
const BADGE_LABEL: Readonly<Record<EntryState, string>> = { ...STATE_LABEL, error: "Error" };

const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: "medium" });
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

/** Short form for today, with the date otherwise. */
export function formatTime(epochMs: number, nowMs: number = Date.now()): string {
  const date = new Date(epochMs);
  return date.toDateString() === new Date(nowMs).toDateString() ? timeOnly.format(date) : dateTime.format(date);
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function entryState(record: HistoryRecord): EntryState {
  return record.kind === "error" ? "error" : displayState(record);
}

function badge(state: EntryState): HTMLElement {
  const node = el("span", `badge badge-${state}`);
  node.append(el("span", "badge-icon", BADGE_ICON[state]), ` ${BADGE_LABEL[state]}`);
  node.setAttribute("data-state", state);
  return node;
}

function times(pairs: readonly (readonly [string, number])[], format: (ms: number) => string): HTMLDListElement {
  const list = el("dl", "times");
  for (const [label, ms] of pairs) {
    const time = el("time", undefined, format(ms));
    time.dateTime = new Date(ms).toISOString();
    const dd = el("dd");
    dd.append(time);
    list.append(el("dt", undefined, label), dd);
  }
  return list;
}

function timePairs(record: HistoryRecord): [string, number][] {
  if (record.kind === "error")
    return [
      ["Sent to server", record.serverTime * 1000],
      ["Received", record.receivedAtMs],
    ];
  return [
    ["Triggered", record.payload.tt * 1000],
    ["Sent", record.payload.ts * 1000],
    ["Received", record.receivedAtMs],
  ];
}

/** One list entry, a link to its detail view. */
export function renderEntry(record: HistoryRecord): HTMLLIElement {
  const state = entryState(record);
  const item = el("li", `entry entry-${state}`);
  item.dataset.key = record.key;
  item.dataset.state = state;
  const link = el("a", "entry-link");
  link.href = detailPath(record.key);
  const head = el("div", "entry-head");
  head.append(badge(state), el("span", "channel", channelName(record.channel)));
  const subject = el("h2", "subject", record.kind === "error" ? "Undecryptable message" : record.payload.sbj || "(no subject)");
  const text = el("p", "text", record.kind === "error" ? UNDECRYPTABLE_TEXT : record.payload.msg);
  link.append(
    head,
    subject,
    text,
    times(timePairs(record), (ms) => formatTime(ms)),
  );
  item.append(link);
  return item;
}

/** Replaces the list's content with `records` (already newest first). */
export function renderList(list: HTMLElement, records: readonly HistoryRecord[]): void {
  list.replaceChildren(...records.map(renderEntry));
}

/** The detail view of one entry. */
export function renderDetail(container: HTMLElement, record: HistoryRecord | undefined): void {
  if (record === undefined) {
    container.replaceChildren(el("p", "empty", "This message is no longer in the history."));
    return;
  }
  const state = entryState(record);
  container.className = `detail entry-${state}`;
  container.dataset.state = state;
  const subject = el("h1", "subject", record.kind === "error" ? "Undecryptable message" : record.payload.sbj || "(no subject)");
  subject.id = "detail-subject";
  const text = el("p", "detail-text", record.kind === "error" ? UNDECRYPTABLE_TEXT : record.payload.msg);
  const pairs = timePairs(record);
  if (record.kind === "message") pairs.push(["Accepted by server", record.serverTime * 1000]);
  const facts = times(pairs, (ms) => dateTime.format(ms));
  const extra: [string, string][] = [
    ["Channel", channelName(record.channel)],
    ["Server id", record.id],
  ];
  if (record.kind === "message") extra.push(["Encryption", record.envelope === 2 ? "Envelope v2 (authenticated)" : "Envelope v1 (AlertR)"]);
  for (const [label, value] of extra) facts.append(el("dt", undefined, label), el("dd", undefined, value));
  container.replaceChildren(badge(state), subject, text, facts);
}
