// Prints the JavaScript a first visit loads, gzipped, for every public page a visitor can land on
// (from a link, an email or by typing the address): the entry with its static imports, plus the
// lazily loaded page chunk of that route (client/routes.tsx) with its static imports. Chunks loaded
// by a dynamic import() (admin pages, widgets loaded on demand) are not part of a first visit.
// Fails (exit 1) when a route is over its budget.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

// The build to measure: dist/client, or the directory given as the first argument.
const dir = process.argv[2] ?? 'dist/client';
const KB = 1024;
const DEFAULT_BUDGET = 50 * KB;

interface Landing {
  /** The route in client/routes.tsx whose page the visitor lands on. */
  route: string;
  /** Page modules loaded lazily below the route's own (e.g. the invite form inside /register). */
  alsoLazy?: string[];
  budget?: number;
}

const landings: Record<string, Landing> = {
  '/login': { route: '/login', budget: 35 * KB },
  '/register': { route: '/register' },
  '/register?invite=… (invite)': { route: '/register', alsoLazy: ['AcceptInvitePage'] },
  '/setup': { route: '/setup' },
  '/forgot-password': { route: '/forgot-password' },
  '/reset-password': { route: '/reset-password' },
};

// Which page module each route loads lazily (none when the page is in the entry, as /login is).
const routesSource = readFileSync('client/routes.tsx', 'utf8');
function lazyPageOf(route: string): string | null {
  const escaped = route.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const def = new RegExp(`path:\\s*'${escaped}',\\s*component:\\s*([^}]+)}`).exec(routesSource);
  if (!def) throw new Error(`route ${route} not found in client/routes.tsx`);
  const lazy = /lazy\(\s*\(\)\s*=>\s*import\(\s*'[^']*\/(\w+)'\s*\)\s*\)/.exec(def[1]!);
  return lazy ? lazy[1]! : null;
}

const assets = readdirSync(join(dir, 'assets')).filter((f) => f.endsWith('.js'));
function chunkOf(module: string): string {
  const found = assets.filter((a) => a.startsWith(module + '-'));
  if (found.length !== 1) throw new Error(`expected one chunk for ${module} in ${dir}/assets, found ${found.length}`);
  return 'assets/' + found[0]!;
}

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
    // Static imports only; dynamic import() chunks load when they are asked for.
    for (const m of src.matchAll(/(?:^|[;\n}])\s*import\s*(?:[\w*{}\s,$]+from\s*)?["']\.\/([^"']+\.js)["']/g)) queue.push('assets/' + m[1]!);
  }
  return seen;
}
const size = (files: Set<string>) => [...files].reduce((n, f) => n + gzipSync(readFileSync(join(dir, f))).length, 0);
const kb = (n: number) => (n / KB).toFixed(1) + ' KB';

let over = 0;
for (const [name, landing] of Object.entries(landings)) {
  const page = lazyPageOf(landing.route);
  const pages = [...(page ? [page] : []), ...(landing.alsoLazy ?? [])];
  const files = closure([...entry, ...pages.map(chunkOf)]);
  const total = size(files);
  const budget = landing.budget ?? DEFAULT_BUDGET;
  const verdict = total > budget ? '  OVER BUDGET' : '';
  console.log(`first visit to ${name}: ${kb(total)} of JavaScript (gzip) in ${files.size} file(s); budget ${kb(budget)}${verdict}`);
  if (total > budget) over++;
}
if (over) {
  console.error(`${over} route(s) over the first-visit JavaScript budget`);
  process.exit(1);
}
