/**
 * The README's example, run exactly as written in its own process from
 * inside the repository (so that "lightweightpush" resolves to the built
 * package), with only the network boundary replaced: push.alertr.de is a
 * local HTTPS server that checks the frame strictly.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { nodeCryptoBackend } from "../../src/client/node-crypto.js";
import { openV1 } from "../../src/protocol/envelope-v1.js";
import { type ReceivedRequest, startLocalPushServer } from "./support/local-push-server.js";
import { makeTestCertificate } from "./support/test-certificate.js";

const README_EXAMPLE = `import { LightweightPush } from "lightweightpush";
const push = new LightweightPush("my_email@alertr.de", "super_secret_password", "shared_secret_to_encrypt_msg");
await push.sendMsg("Subject of Message", "Message text", "MyChannel");
`;

const packageDir = fileURLToPath(new URL("../../", import.meta.url));
const preload = new URL("./support/alertr-loopback-preload.mjs", import.meta.url).href;

const FRAME_RE =
  /^\{"username": "my_email@alertr\.de", "password": "super_secret_password", "channel": "538113b2_MyChannel", "version": 0\.1, "data": "([A-Za-z0-9+/=]+)"\}$/;

/** The checks the AlertR service would make, plus opening the payload as the app would. Returns what is wrong, or "". */
async function checkV1Frame(request: ReceivedRequest): Promise<string> {
  if (request.method !== "POST" || request.path !== "/push/send.php") return `wrong request ${request.method} ${request.path}`;
  if (request.contentType !== "application/x-www-form-urlencoded") return `wrong content type ${request.contentType}`;
  const data = FRAME_RE.exec(request.frame ?? "")?.[1];
  if (data === undefined) return `not a v1 frame for the account: ${request.frame?.slice(0, 120)}`;
  try {
    const payload = await openV1(data, "shared_secret_to_encrypt_msg", nodeCryptoBackend);
    const now = Math.floor(Date.now() / 1000);
    if (payload.sbj !== "Subject of Message" || payload.msg !== "Message text" || payload.is_sa || "st" in payload) return "wrong payload";
    if (Math.abs(payload.ts - now) > 600 || payload.tt !== payload.ts) return "wrong times";
  } catch {
    return "payload does not decrypt";
  }
  return "";
}

test("the README example works exactly as written against push.alertr.de (replaced at the network boundary)", async () => {
  const certificate = makeTestCertificate("push.alertr.de");
  const problems: string[] = [];
  const server = await startLocalPushServer({
    tls: certificate,
    replies: async (_index, request) => {
      const problem = await checkV1Frame(request);
      if (problem === "") return [200, '{"Code": 0}'];
      problems.push(problem);
      return [200, '{"Code": 3}'];
    },
  });
  mkdirSync(join(packageDir, "test-artifacts"), { recursive: true });
  const dir = mkdtempSync(join(packageDir, "test-artifacts", "readme-"));
  try {
    const caFile = join(dir, "push-alertr-de.pem");
    writeFileSync(caFile, certificate.cert);
    const script = join(dir, "readme-example.mts");
    writeFileSync(script, README_EXAMPLE);

    const child = spawn(process.execPath, ["--import", "tsx", "--import", preload, script], {
      cwd: dir,
      env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile, LWP_TEST_ALERTR_PORT: String(server.port), NODE_OPTIONS: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exitCode = await new Promise<number | null>((resolve) => child.on("close", resolve));

    assert.deepEqual(problems, [], "the frame is a valid v1 frame for the account");
    assert.equal(exitCode, 0, output);
    assert.equal(server.requests.length, 1, "one request reached the (replaced) AlertR service");
    assert.equal(output, "", "the library prints nothing");
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await server.close();
  }
});
