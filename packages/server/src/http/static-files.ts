/**
 * Serves the web app's build output at `/`. Paths are resolved inside the
 * root (also through symbolic links) and nothing outside it is ever read.
 *
 * @module
 */
import { createReadStream } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import { extname, join, resolve, sep } from "node:path";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ConfigError } from "../config/config.js";

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".webmanifest": "application/manifest+json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".wasm": "application/wasm",
};

/** The content type of a file name; `application/octet-stream` when unknown. */
export function contentTypeOf(fileName: string): string {
  return CONTENT_TYPES[extname(fileName).toLowerCase()] ?? "application/octet-stream";
}

/**
 * Registers `GET /*` for the files under `root`. `/` and directories serve
 * their `index.html`; `sw.js` gets `Service-Worker-Allowed: /` so the
 * service worker may control the whole origin.
 */
export async function registerStaticFiles(app: FastifyInstance, root: string): Promise<void> {
  const realRoot = await realpath(resolve(root)).catch(() => {
    throw new ConfigError(`webRoot ${root} does not exist (set it to "" to serve no web app)`);
  });

  const serve = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const notFound = (): FastifyReply => reply.code(404).type("text/plain; charset=utf-8").send("not found\n");
    const urlPath = request.url.split("?")[0] ?? "/";
    let decoded: string;
    try {
      decoded = decodeURIComponent(urlPath);
    } catch {
      return notFound();
    }
    if (decoded.includes("\0") || decoded.split(/[\\/]/).some((part) => part === "..")) return notFound();

    let file = resolve(realRoot, `.${decoded}`);
    let info = await stat(file).catch(() => undefined);
    if (info?.isDirectory() === true) {
      file = join(file, "index.html");
      info = await stat(file).catch(() => undefined);
    }
    if (info === undefined || !info.isFile()) return notFound();
    // Resolving symbolic links last: a link inside the root must not lead outside it.
    const real = await realpath(file).catch(() => undefined);
    if (real === undefined || (real !== realRoot && !real.startsWith(realRoot + sep))) return notFound();

    const name = real.slice(realRoot.length + 1);
    reply.header("content-type", contentTypeOf(real));
    reply.header("content-length", String(info.size));
    reply.header("x-content-type-options", "nosniff");
    if (name === "sw.js") reply.header("service-worker-allowed", "/");
    // The shell and the service worker must be revalidated so that updates reach users.
    reply.header("cache-control", name.endsWith(".html") || name === "sw.js" ? "no-cache" : "public, max-age=3600");
    if (request.method === "HEAD") return reply.send();
    return reply.send(createReadStream(real));
  };

  app.get("/*", serve);
  app.get("/", serve);
}
