import { openSqliteStorage } from "../../src/storage/sqlite/sqlite-storage.ts";
import { mkdtempSync } from "node:fs";
const s = openSqliteStorage({ path: mkdtempSync("/tmp/prof/w-") + "/x.db" });
try { console.log(await s.insertMessages([{ channel: "c", payload: "p", timeMs: 1 }])); } catch (e) { console.log(e); }
await s.close();
