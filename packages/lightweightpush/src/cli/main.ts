#!/usr/bin/env node
/**
 * Entry point of the `lightweight-push` bin: wires the real process into
 * {@link runCli}. Kept tiny; everything testable lives in `cli.ts`.
 *
 * @module
 */
import { runCli } from "./cli.js";
import { processIo } from "./io.js";

process.exitCode = await runCli(process.argv.slice(2), processIo());
