// Preloaded (--import) into the README example's process: the only change
// to its world is the network boundary. DNS lookups of push.alertr.de answer
// 127.0.0.1, and connections to push.alertr.de:443 go to the local test
// server's port (LWP_TEST_ALERTR_PORT). TLS still checks the certificate
// for push.alertr.de, trusted through NODE_EXTRA_CA_CERTS.
import dns from "node:dns";
import net from "node:net";

const HOST = "push.alertr.de";
const port = Number(process.env.LWP_TEST_ALERTR_PORT);
if (!Number.isInteger(port) || port <= 0) throw new Error("LWP_TEST_ALERTR_PORT is not set");

const originalLookup = dns.lookup;
dns.lookup = function lookup(...args) {
  const [hostname, options, callback] = args;
  if (hostname !== HOST) return originalLookup.apply(this, args);
  const done = typeof options === "function" ? options : callback;
  const all = typeof options === "object" && options !== null && options.all;
  process.nextTick(() => (all ? done(null, [{ address: "127.0.0.1", family: 4 }]) : done(null, "127.0.0.1", 4)));
  return {};
};

const originalConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function connect(...args) {
  const options = args[0];
  if (options !== null && typeof options === "object" && !Array.isArray(options) && options.host === HOST && Number(options.port) === 443) {
    args[0] = { ...options, port };
  }
  return originalConnect.apply(this, args);
};
