/**
 * The server command killed (SIGTERM, SIGKILL) under a stream of sends and
 * started again on the same database: on SQLite the same data directory, on
 * PostgreSQL the same URL and schema. No acknowledged message is lost.
 */
import assert from "node:assert/strict";
import http from "node:http";
import { describe, it } from "node:test";
import { cliStorageEnv, runCli, startCliServer } from "../helpers/cli-process.js";
import { storageFactories } from "../helpers/storage-factories.js";
import { formBody, pythonFrame, waitFor } from "../helpers/test-server.js";

const USER = "restart@example.org";
const PASSWORD = "restart password";
const CHANNEL = "a1b2c3d4_restart";

/** One send; resolves with the reply body, or undefined when the connection failed. */
function trySend(url: string, data: string): Promise<string | undefined> {
  const body = formBody(pythonFrame({ username: USER, password: PASSWORD, channel: CHANNEL, data }));
  return new Promise((resolve) => {
    const request = http.request(
      `${url}/push/send.php`,
      {
        method: "POST",
        agent: false,
        headers: { "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(body) },
      },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (c: string) => {
          text += c;
        });
        response.on("end", () => resolve(response.statusCode === 200 ? text : undefined));
        response.on("error", () => resolve(undefined));
      },
    );
    request.on("error", () => resolve(undefined));
    request.setTimeout(20_000, () => request.destroy());
    request.end(body);
  });
}

for (const factory of storageFactories()) {
  for (const signal of ["SIGTERM", "SIGKILL"] as const) {
    describe(`restart with ${signal} under a stream of sends (${factory.name})`, () => {
      it("loses no acknowledged message", async () => {
        const fixture = await factory.create();
        try {
          const env = cliStorageEnv(fixture);
          const add = await runCli(["user", "add", USER, "--password-stdin", "--bcrypt-cost", "4"], { stdin: `${PASSWORD}\n`, env });
          assert.equal(add.status, 0, add.stderr);

          let server = await startCliServer(["--log-level", "info"], env);
          let url = server.url;
          const acknowledged: string[] = [];
          let sent = 0;
          let stop = false;
          // Eight concurrent senders, each sending until told to stop and retrying on a dead server.
          const senders = Array.from({ length: 8 }, async (_, worker) => {
            while (!stop) {
              const data = `w${worker}-${sent++}`;
              const reply = await trySend(url, data);
              if (reply === '{"Code": 0}') acknowledged.push(data);
              else if (reply === undefined) await new Promise((r) => setTimeout(r, 20));
            }
          });
          await waitFor(() => acknowledged.length >= 200);
          server.child.kill(signal);
          const code = await server.exited;
          if (signal === "SIGTERM") {
            assert.equal(code, 0, server.stdout());
            assert.match(server.stdout(), /server stopped/);
          }
          const beforeRestart = acknowledged.length;
          server = await startCliServer(["--log-level", "info"], env);
          url = server.url;
          await waitFor(() => acknowledged.length >= beforeRestart + 200);
          stop = true;
          await Promise.all(senders);
          server.child.kill("SIGTERM");
          assert.equal(await server.exited, 0, server.stdout());

          const storage = await fixture.open();
          try {
            const stored = new Set((await storage.listMessages(CHANNEL, { afterId: 0, limit: 1_000_000 })).map((m) => m.payload));
            const lost = acknowledged.filter((d) => !stored.has(d));
            assert.deepEqual(lost, [], `${lost.length} of ${acknowledged.length} acknowledged messages lost`);
          } finally {
            await storage.close();
          }
        } finally {
          await fixture.cleanup();
        }
      });
    });
  }
}
