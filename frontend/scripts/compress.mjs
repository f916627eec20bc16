// Prepare the static export for serving: SVGs optimised (svgo), then every compressible file
// stored beside itself as `.br` (brotli, quality 11) and `.gz` (gzip, level 9), so the server
// sends precompressed bytes without compressing anything per request (src/lockgate/web_ui.py).
//
//   node scripts/compress.mjs out
//
// A variant is written only when it is smaller than the original; files under 256 bytes are
// left alone (headers would cost more than the saving). Prints a one-line summary.
import { promises as fs } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import zlib from "node:zlib";
import { optimize } from "svgo";

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

const COMPRESSIBLE = new Set([
  ".html", ".js", ".mjs", ".css", ".svg", ".json", ".txt", ".map", ".webmanifest", ".xml", ".ico",
]);
const MIN_BYTES = 256;

async function* files(dir) {
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* files(full);
    else if (entry.isFile()) yield full;
  }
}

async function optimiseSvg(file) {
  const source = await fs.readFile(file, "utf8");
  const { data } = optimize(source, {
    path: file,
    multipass: true,
    plugins: ["preset-default"], // svgo 4 keeps the viewBox by default
  });
  if (data.length < source.length) await fs.writeFile(file, data);
  return source.length - Math.min(data.length, source.length);
}

async function main() {
  const root = process.argv[2];
  if (!root) {
    console.error("usage: node scripts/compress.mjs <static export dir>");
    process.exit(2);
  }
  let svgSaved = 0;
  let originals = 0;
  let brBytes = 0;
  let count = 0;
  const all = [];
  for await (const file of files(root)) all.push(file);
  for (const file of all) {
    const ext = path.extname(file).toLowerCase();
    if (ext === ".br" || ext === ".gz" || !COMPRESSIBLE.has(ext)) continue;
    if (ext === ".svg") svgSaved += await optimiseSvg(file);
    const body = await fs.readFile(file);
    if (body.length < MIN_BYTES) continue;
    const [br, gz] = await Promise.all([
      brotli(body, {
        params: {
          [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
          [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length,
        },
      }),
      gzip(body, { level: 9 }),
    ]);
    if (br.length < body.length) await fs.writeFile(`${file}.br`, br);
    if (gz.length < body.length) await fs.writeFile(`${file}.gz`, gz);
    originals += body.length;
    brBytes += Math.min(br.length, body.length);
    count += 1;
  }
  console.log(
    `compress: ${count} files, ${(originals / 1024).toFixed(0)} KB -> ${(brBytes / 1024).toFixed(0)} KB brotli` +
      (svgSaved ? `, SVGs ${svgSaved} bytes smaller` : ""),
  );
}

await main();
