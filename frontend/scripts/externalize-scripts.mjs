// Make the static export run under `Content-Security-Policy: script-src 'self'`.
//
// Next.js writes a few inline <script>s into every exported page (the Turbopack bootstrap and
// the React Server Components payload: `self.__next_f.push(...)`). This moves each one into a
// content-addressed file, /_next/static/inline/<sha256>.js, and points a <script src> at it in
// the same place. Classic external scripts without async/defer run in document order exactly
// like the inline ones did, so behaviour is unchanged and the server needs no hashes or nonces.
//
// It then verifies what the CSP relies on: no inline script, no inline event handler attribute,
// no javascript: URL left in any exported HTML. Any leftover fails the build.
//
//   node scripts/externalize-scripts.mjs <export dir>
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";

const root = process.argv[2] ?? "out";
const inlineDir = join(root, "_next/static/inline");
const SCRIPT = /<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi;
// Data blocks are never executed, so CSP does not apply to them.
const DATA_TYPE = /\btype\s*=\s*["']?(application\/(ld\+)?json|text\/plain|text\/template)/i;

function htmlFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...htmlFiles(path));
    else if (name.endsWith(".html")) out.push(path);
  }
  return out;
}

mkdirSync(inlineDir, { recursive: true });
let moved = 0;
const written = new Set();
const problems = [];

for (const file of htmlFiles(root)) {
  const html = readFileSync(file, "utf8");
  const rewritten = html.replace(SCRIPT, (whole, attrs, body) => {
    if (/\bsrc\s*=/i.test(attrs) || DATA_TYPE.test(attrs) || body.trim() === "") return whole;
    const hash = createHash("sha256").update(body).digest("hex").slice(0, 32);
    const name = `${hash}.js`;
    if (!written.has(name)) {
      writeFileSync(join(inlineDir, name), body);
      written.add(name);
    }
    moved++;
    return `<script${attrs} src="/_next/static/inline/${name}"></script>`;
  });
  if (rewritten !== html) writeFileSync(file, rewritten);

  const where = relative(root, file);
  for (const m of rewritten.matchAll(SCRIPT)) {
    const [, attrs, body] = m;
    if (!/\bsrc\s*=/i.test(attrs) && !DATA_TYPE.test(attrs) && body.trim() !== "") {
      problems.push(`${where}: inline script left: ${body.slice(0, 60)}`);
    }
  }
  // Attributes only (outside script bodies): `<tag ... onload=...>` or `href="javascript:..."`.
  const markup = rewritten.replace(SCRIPT, "<script></script>");
  for (const m of markup.matchAll(/<[a-z][^>]*\s(on[a-z]+)\s*=/gi)) problems.push(`${where}: inline handler ${m[1]}`);
  for (const m of markup.matchAll(/\s(?:href|src|action|formaction)\s*=\s*["']?\s*javascript:/gi)) {
    problems.push(`${where}: javascript: URL (${m[0].trim()})`);
  }
}

if (problems.length) {
  console.error(`externalize-scripts: the export would break script-src 'self':\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log(`externalize-scripts: ${moved} inline scripts -> ${written.size} files in _next/static/inline/; none left inline`);
