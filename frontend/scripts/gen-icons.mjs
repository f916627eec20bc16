// Draw the app icons (the favicon's padlock) as PNGs for the web app manifest, without any
// image tool: shapes are rasterised here with 4x4 supersampling and written with zlib.
//
//   node scripts/gen-icons.mjs    writes public/icons/icon-{192,512}.png and icon-maskable-512.png
//
// The output is committed; run this again only if the design changes (it matches favicon.svg:
// a blue rounded square, a white shackle and body, on a 32-unit grid).
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { deflateSync } from "node:zlib";

const out = join(dirname(fileURLToPath(import.meta.url)), "..", "public", "icons");
const BLUE = [0x1d, 0x4e, 0xd8];
const WHITE = [0xff, 0xff, 0xff];

function insideRoundRect(x, y, rx, ry, w, h, r) {
  if (x < rx || y < ry || x > rx + w || y > ry + h) return false;
  const cx = Math.min(Math.max(x, rx + r), rx + w - r);
  const cy = Math.min(Math.max(y, ry + r), ry + h - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}

/** The favicon's shapes in its 32-unit space: "bg", "fg" or null. */
function shade(u, v, maskable) {
  // Maskable icons keep their content in the middle 80% and fill the whole square.
  const s = maskable ? 0.8 : 1;
  const x = (u - 16) / s + 16;
  const y = (v - 16) / s + 16;
  const inBg = maskable ? true : insideRoundRect(u, v, 0, 0, 32, 32, 7);
  if (!inBg) return null;
  if (insideRoundRect(x, y, 8, 14, 16, 11, 2)) return "fg";
  // Shackle: the path M10 14 v-3 a6 6 0 0 1 12 0 v3, stroked 2.5 wide.
  const half = 1.25;
  const onLegs = y >= 11 && y <= 14 && (Math.abs(x - 10) <= half || Math.abs(x - 22) <= half);
  const d = Math.hypot(x - 16, y - 11);
  const onArc = y <= 11 && Math.abs(d - 6) <= half;
  return onLegs || onArc ? "fg" : "bg";
}

function crc32(buf) {
  let c;
  let crc = 0xffffffff;
  for (let n = 0; n < buf.length; n++) {
    c = (crc ^ buf[n]) & 0xff;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    crc = (crc >>> 8) ^ c;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

function png(size, maskable) {
  const SS = 4;
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let py = 0; py < size; py++) {
    raw[py * (size * 4 + 1)] = 0; // filter: none
    for (let px = 0; px < size; px++) {
      const acc = [0, 0, 0, 0];
      for (let sy = 0; sy < SS; sy++) {
        for (let sx = 0; sx < SS; sx++) {
          const u = ((px + (sx + 0.5) / SS) / size) * 32;
          const v = ((py + (sy + 0.5) / SS) / size) * 32;
          const s = shade(u, v, maskable);
          if (!s) continue;
          const c = s === "fg" ? WHITE : BLUE;
          acc[0] += c[0];
          acc[1] += c[1];
          acc[2] += c[2];
          acc[3] += 255;
        }
      }
      const n = SS * SS;
      const covered = acc[3] / 255;
      const at = py * (size * 4 + 1) + 1 + px * 4;
      raw[at] = covered ? Math.round(acc[0] / covered) : 0;
      raw[at + 1] = covered ? Math.round(acc[1] / covered) : 0;
      raw[at + 2] = covered ? Math.round(acc[2] / covered) : 0;
      raw[at + 3] = Math.round(acc[3] / n);
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(raw, { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

mkdirSync(out, { recursive: true });
for (const [name, size, maskable] of [
  ["icon-192.png", 192, false],
  ["icon-512.png", 512, false],
  ["icon-maskable-512.png", 512, true],
]) {
  writeFileSync(join(out, name), png(size, maskable));
  console.log(`gen-icons: public/icons/${name}`);
}
