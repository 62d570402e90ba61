// `npm start`: builds the client when its sources are newer than the build, then starts the server.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { DEFAULT_CLIENT_DIR } from './app.js';
import { main } from './main.js';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    const t = entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs;
    if (t > newest) newest = t;
  }
  return newest;
}

const index = join(DEFAULT_CLIENT_DIR, 'index.html');
const sources = Math.max(newestMtime('client'), newestMtime('shared'), statSync('vite.config.ts').mtimeMs);
if (!existsSync(index) || statSync(index).mtimeMs < sources) {
  process.stdout.write('Building the client…\n');
  execFileSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'warn'], { stdio: 'inherit' });
}
await main();
