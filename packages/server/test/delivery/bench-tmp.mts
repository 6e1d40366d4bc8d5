// Ad-hoc: send throughput with and without delivery (not a test; removed after measuring).
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { hashPassword } from "../../src/auth/password.js";
import { resolveConfig } from "../../src/config/load.js";
import { createDeliveryExtension } from "../../src/delivery/index.js";
import { createServer } from "../../src/server.js";
import { openSqliteStorage, SQLITE_FILE_NAME } from "../../src/storage/sqlite/sqlite-storage.js";
import { createServiceAccount, FakeFcm } from "../fixtures/fake-fcm.js";
import { FakePushService } from "../fixtures/fake-push-service.js";
import { formBody, pythonFrame } from "../helpers/test-server.js";

const variant = process.argv[2] ?? "none";
const dataDir = await mkdtemp(join(tmpdir(), "lwp-bench-"));
const storage = openSqliteStorage({ path: join(dataDir, SQLITE_FILE_NAME) });
await storage.addAccount({ username: "u@x", passwordHash: await hashPassword("pw", 4), createdAtMs: Date.now() });
await storage.close();
let extra = {};
let fake: FakeFcm | undefined;
let push: FakePushService | undefined;
if (variant === "full" || variant === "fcm" || variant === "webpush") {
  const account = createServiceAccount(dataDir, "p");
  fake = await FakeFcm.start({ projectId: "p", serviceAccount: account });
  push = await FakePushService.start();
  extra = { fcmTokenUrl: fake.tokenUrl, fcmBaseUrl: fake.baseUrl, webPushEndpointHosts: push.origin };
  if (variant !== "webpush") extra = { ...extra, fcmServiceAccountFile: account.file };
}
const config = resolveConfig({ port: 0, dataDir, webRoot: "", logLevel: "warn", accountSendsPerWindow: 0, addressSendsPerWindow: 0, ...extra });
const delivery = createDeliveryExtension();
const server = await createServer(config, { extensions: variant === "none" ? [] : [delivery] });
const url = await server.listen();
if (push && variant !== "fcm") {
  const s = push.createSubscription();
  await fetch(`${url}/v1/webpush/subscriptions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ subscription: s, channels: ["538113b2_c"] }) });
}
const body = formBody(pythonFrame({ username: "u@x", password: "pw", channel: "538113b2_c", data: "A".repeat(200) }));
const result = await autocannon({ url: `${url}/push/send.php`, method: "POST", connections: 50, duration: 5, headers: { "content-type": "application/x-www-form-urlencoded" }, body });
const t0 = Date.now();
if (variant === "full" || variant === "fcm") {
  await fake!.waitFor(() => fake!.accepted.length >= result.requests.total - result.non2xx, 120_000).catch(() => {});
}
console.log(variant, "sends/s", Math.round(result.requests.average), "total", result.requests.total, "non2xx", result.non2xx,
  fake ? `fcm delivered ${fake!.accepted.length} webpush ${push!.deliveries.length} distinct ${new Set(push!.deliveries.map((d) => JSON.parse(d.plaintext).id)).size} drain ${Date.now() - t0} ms` : "");
await server.close();
await fake?.close();
await push?.close();
