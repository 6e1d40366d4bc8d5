#!/usr/bin/env node
// Builds the web app into dist/: the app and service-worker bundles
// (esbuild), the static shell, the web app manifest and PNG icons drawn
// here, so no binary files live in the repository.
import { createHash } from "node:crypto";
import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import { build } from "esbuild";

const root = new URL("..", import.meta.url).pathname;
const dist = join(root, "dist");
const THEME = "#123a6b";

/** CRC-32 as PNG chunks need it. */
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "ascii");
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

function encodePng(size, rgba) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, no interlace
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk("IHDR", header), chunk("IDAT", deflateSync(raw, { level: 9 })), chunk("IEND", Buffer.alloc(0))]);
}

/**
 * The icon: a white dot with radio waves on a full-bleed blue square, all
 * inside the central 80% so it also works as a maskable icon.
 */
function isWhite(x, y) {
  const dx = x - 0.5;
  const dy = y - 0.5;
  const r = Math.hypot(dx, dy);
  if (r < 0.085) return true;
  const angle = Math.abs(Math.atan2(dy, Math.abs(dx)));
  if (angle > Math.PI / 4) return false;
  return (r > 0.16 && r < 0.215) || (r > 0.27 && r < 0.325);
}

function drawIcon(size) {
  const [br, bg, bb] = [0x12, 0x3a, 0x6b];
  const rgba = Buffer.alloc(size * size * 4);
  const samples = 4; // 4x4 supersampling for smooth edges
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let hits = 0;
      for (let sy = 0; sy < samples; sy++)
        for (let sx = 0; sx < samples; sx++) if (isWhite((x + (sx + 0.5) / samples) / size, (y + (sy + 0.5) / samples) / size)) hits++;
      const a = hits / (samples * samples);
      const i = (y * size + x) * 4;
      rgba[i] = Math.round(br + (255 - br) * a);
      rgba[i + 1] = Math.round(bg + (255 - bg) * a);
      rgba[i + 2] = Math.round(bb + (255 - bb) * a);
      rgba[i + 3] = 255;
    }
  }
  return encodePng(size, rgba);
}

const manifest = {
  name: "Lightweight Push",
  short_name: "Push",
  description: "End-to-end encrypted push messages, decrypted in this browser.",
  id: "./",
  start_url: "./",
  scope: "./",
  display: "standalone",
  background_color: "#f4f6f9",
  theme_color: THEME,
  icons: [
    { src: "icons/icon-192.png", sizes: "192x192", type: "image/png", purpose: "any" },
    { src: "icons/icon-512.png", sizes: "512x512", type: "image/png", purpose: "any" },
    { src: "icons/icon-maskable-512.png", sizes: "512x512", type: "image/png", purpose: "maskable" },
  ],
};

const started = Date.now();
await rm(dist, { recursive: true, force: true });
await mkdir(join(dist, "icons"), { recursive: true });

const common = { bundle: true, minify: true, target: "es2022", logLevel: "warning", legalComments: "none" };
await build({ ...common, entryPoints: [join(root, "src/app/main.ts")], outfile: join(dist, "app.js"), format: "esm", sourcemap: "linked" });
await copyFile(join(root, "static/index.html"), join(dist, "index.html"));
await copyFile(join(root, "static/style.css"), join(dist, "style.css"));
await writeFile(join(dist, "manifest.webmanifest"), `${JSON.stringify(manifest, null, 2)}\n`);
const icon512 = drawIcon(512);
await writeFile(join(dist, "icons/icon-192.png"), drawIcon(192));
await writeFile(join(dist, "icons/icon-512.png"), icon512);
await writeFile(join(dist, "icons/icon-maskable-512.png"), icon512);

// The worker precaches the shell; its cache name changes whenever any shell file does.
const shellFiles = ["index.html", "app.js", "style.css", "manifest.webmanifest", "icons/icon-192.png", "icons/icon-512.png"];
const hash = createHash("sha256");
for (const file of shellFiles) hash.update(await readFile(join(dist, file)));
const version = hash.digest("hex").slice(0, 16);
await build({
  ...common,
  entryPoints: [join(root, "src/sw/sw.ts")],
  outfile: join(dist, "sw.js"),
  format: "iife",
  define: { __SHELL_VERSION__: JSON.stringify(version), __SHELL_FILES__: JSON.stringify(shellFiles) },
});
console.log(`web: built dist/ (shell ${version}) in ${Date.now() - started} ms`);
