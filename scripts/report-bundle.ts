// Prints the JavaScript a first visit loads, gzipped: the entry with its static imports, plus the
// lazily loaded page a fresh visitor lands on (/login, or /setup on a new install).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const dir = 'dist/client';
const assets = readdirSync(join(dir, 'assets')).filter((f) => f.endsWith('.js'));
const html = readFileSync(join(dir, 'index.html'), 'utf8');
const entry = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]!);

function closure(roots: string[]): Set<string> {
  const seen = new Set<string>();
  const queue = [...roots];
  while (queue.length) {
    const f = queue.shift()!;
    if (seen.has(f)) continue;
    seen.add(f);
    const src = readFileSync(join(dir, f), 'utf8');
    // Static imports only; dynamic import() chunks load when their route is visited.
    for (const m of src.matchAll(/(?:^|[;\n}])\s*import\s*(?:[\w*{}\s,$]+from\s*)?["']\.\/([^"']+\.js)["']/g)) queue.push('assets/' + m[1]);
  }
  return seen;
}
const size = (files: Set<string>) => [...files].reduce((n, f) => n + gzipSync(readFileSync(join(dir, f))).length, 0);
const kb = (n: number) => (n / 1024).toFixed(1) + ' KB';
const budget = 50 * 1024;

const landings: Record<string, string[]> = { '/login': [] , '/setup': ['SetupPage'] };
let worst = 0;
for (const [route, pages] of Object.entries(landings)) {
  const roots = [...entry, ...pages.map((p) => 'assets/' + assets.find((a) => a.startsWith(p + '-'))!)];
  const files = closure(roots);
  const total = size(files);
  worst = Math.max(worst, total);
  console.log(`first visit to ${route}: ${kb(total)} of JavaScript (gzip) in ${files.size} file(s); budget ${kb(budget)}`);
}
if (worst > budget) {
  console.error('over the first-visit JavaScript budget');
  process.exit(1);
}
