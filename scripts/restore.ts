// `npm run restore -- file [--clean]`: restores a backup made by `npm run backup` into an empty
// database (or, with --clean, after dropping the current one's tables: stop Admit first).
import { ConfigError } from '../server/config.js';
import { restoreDatabase, toolDatabase } from './db-backup.js';

const args = process.argv.slice(2);
const clean = args.includes('--clean');
const file = args.find((a) => !a.startsWith('--'));
if (!file) {
  process.stderr.write('usage: npm run restore -- <backup file> [--clean]\n');
  process.exit(2);
}
let code = 0;
try {
  const db = await toolDatabase();
  try {
    const t0 = performance.now();
    const counts = await restoreDatabase(db.url, file, { clean, log: db.log });
    const rows = Object.values(counts).reduce((a, b) => a + b, 0);
    db.log.info(`restored ${file}`, { tables: Object.keys(counts).length, rows, ms: Math.round(performance.now() - t0) });
  } catch (e) {
    db.log.error('restore failed', { error: e });
    code = 1;
  } finally {
    await db.done();
  }
} catch (e) {
  process.stderr.write((e instanceof ConfigError ? e.message : String(e)) + '\n');
  code = 1;
}
process.exit(code);
