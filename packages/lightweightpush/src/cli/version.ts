/**
 * The package version, for `--version`. Read from package.json on demand
 * rather than at start-up, since only `--version` needs it.
 *
 * @module
 */
import { readFileSync } from "node:fs";

/** The version of the `lightweightpush` package this command belongs to. */
export function readVersion(): string {
  // src/cli and dist/cli both sit two levels below package.json.
  const text = readFileSync(new URL("../../package.json", import.meta.url), "utf8");
  return (JSON.parse(text) as { version: string }).version;
}
