// `npm run backup [-- file]`: a consistent backup of Admit's database (works while Admit runs).
import { ConfigError } from '../server/config.js';
import { backupDatabase, toolDatabase } from './db-backup.js';

const file = process.argv[2] ?? `admit-backup-${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl.gz`;
let code = 0;
try {
  const db = await toolDatabase();
  try {
    const t0 = performance.now();
    const counts = await backupDatabase(db.url, file);
    const rows = Object.values(counts).reduce((a, b) => a + b, 0);
    db.log.info(`backup written to ${file}`, { tables: Object.keys(counts).length, rows, ms: Math.round(performance.now() - t0) });
  } catch (e) {
    db.log.error('backup failed', { error: e });
    code = 1;
  } finally {
    await db.done();
  }
} catch (e) {
  process.stderr.write((e instanceof ConfigError ? e.message : String(e)) + '\n');
  code = 1;
}
process.exit(code);
