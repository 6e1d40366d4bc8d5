/**
 * The browser-side store in IndexedDB, shared by the page and the service
 * worker: settings (with the shared secret, which stays on this device),
 * message history, and the last event id per channel so a reload resumes
 * where it left off.
 *
 * @module
 */
import type { HistoryRecord } from "./records.js";
import type { Settings } from "./settings.js";

const DB_NAME = "lightweight-push";
const DB_VERSION = 1;
const SETTINGS = "settings";
const MESSAGES = "messages";
const CURSORS = "cursors";
const SETTINGS_KEY = "current";

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new Error("transaction aborted"));
    tx.onerror = () => reject(tx.error);
  });
}

/** The key of a channel's cursor: ids are per server. */
function cursorKey(serverUrl: string, prefixedChannel: string): string {
  return `${serverUrl}\u0000${prefixedChannel}`;
}

/**
 * The app's IndexedDB database.
 *
 * @example
 * const store = await Store.open();
 * const added = await store.addRecord(record); // false: already there
 */
export class Store {
  private constructor(private readonly db: IDBDatabase) {
    // Another tab or a new service worker may upgrade the schema; let it.
    db.onversionchange = () => db.close();
  }

  /** Opens (and on first use creates) the database. */
  static async open(factory: IDBFactory = indexedDB): Promise<Store> {
    const req = factory.open(DB_NAME, DB_VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      db.createObjectStore(SETTINGS);
      const messages = db.createObjectStore(MESSAGES, { keyPath: "key" });
      // Unique, so that adding a replayed v2 message fails inside the same transaction.
      messages.createIndex("payloadId", "payloadId", { unique: true });
      db.createObjectStore(CURSORS);
    };
    return new Store(await request(req));
  }

  async getSettings(): Promise<Settings | undefined> {
    const tx = this.db.transaction(SETTINGS, "readonly");
    return (await request(tx.objectStore(SETTINGS).get(SETTINGS_KEY))) as Settings | undefined;
  }

  async saveSettings(settings: Settings): Promise<void> {
    const tx = this.db.transaction(SETTINGS, "readwrite");
    tx.objectStore(SETTINGS).put(settings, SETTINGS_KEY);
    await done(tx);
  }

  /**
   * Adds a history entry. Returns false, changing nothing, when the same
   * server event or the same v2 message (payload id) is already stored.
   */
  async addRecord(record: HistoryRecord): Promise<boolean> {
    const tx = this.db.transaction(MESSAGES, "readwrite");
    const req = tx.objectStore(MESSAGES).add(record);
    // A ConstraintError means "already have it": swallow it so the transaction aborts quietly.
    req.onerror = (event) => {
      if (req.error?.name === "ConstraintError") event.preventDefault();
    };
    try {
      await done(tx);
      return true;
    } catch (error) {
      if (req.error?.name === "ConstraintError") return false;
      throw error;
    }
  }

  async getRecord(key: string): Promise<HistoryRecord | undefined> {
    const tx = this.db.transaction(MESSAGES, "readonly");
    return (await request(tx.objectStore(MESSAGES).get(key))) as HistoryRecord | undefined;
  }

  /** Every stored entry, in no particular order. */
  async allRecords(): Promise<HistoryRecord[]> {
    const tx = this.db.transaction(MESSAGES, "readonly");
    return (await request(tx.objectStore(MESSAGES).getAll())) as HistoryRecord[];
  }

  /** Deletes the history. Cursors stay, so cleared messages are not replayed. */
  async clearHistory(): Promise<void> {
    const tx = this.db.transaction(MESSAGES, "readwrite");
    tx.objectStore(MESSAGES).clear();
    await done(tx);
  }

  async getCursor(serverUrl: string, prefixedChannel: string): Promise<string | undefined> {
    const tx = this.db.transaction(CURSORS, "readonly");
    return (await request(tx.objectStore(CURSORS).get(cursorKey(serverUrl, prefixedChannel)))) as string | undefined;
  }

  async setCursor(serverUrl: string, prefixedChannel: string, id: string): Promise<void> {
    const tx = this.db.transaction(CURSORS, "readwrite");
    tx.objectStore(CURSORS).put(id, cursorKey(serverUrl, prefixedChannel));
    await done(tx);
  }
}
