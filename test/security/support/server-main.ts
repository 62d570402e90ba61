/**
 * A real Admit server in a process of its own, for the security suites and `npm run bench:flood`:
 * a crash ends this process (the parent sees it), and its memory is measured apart from the
 * clients. Started by startServerProcess(); talks to its parent over IPC.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../server/config.js';
import { startApp } from '../../../server/app.js';
import { createLogger } from '../../../server/logger.js';
import { createRateLimits } from '../../../server/security/rate-limit.js';

const env = JSON.parse(process.env.ADMIT_CHILD_ENV ?? '{}') as Record<string, string>;
const config = parseConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'error', MAIL_WORKER: 'false', ...env });
// A built client of one page, so SPA routes answer 200 rather than "not built".
const clientDir = mkdtempSync(join(tmpdir(), 'admit-client-'));
writeFileSync(join(clientDir, 'index.html'), '<!doctype html><title>Admit</title>');

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 25);
sampler.unref();

// The messages logged so far (newest 1,000), for the parent's 'log' request: tests wait on a log
// line (a signal) instead of sleeping. Only errors are printed, as before.
const logged: string[] = [];
const destination = {
  write(line: string) {
    try {
      logged.push(String((JSON.parse(line) as { msg?: unknown }).msg));
      if (logged.length > 1000) logged.shift();
    } catch {
      // not JSON: nothing to keep
    }
    if (/"level":"(error|fatal)"/.test(line)) process.stdout.write(line);
  },
};

const app = await startApp({
  config,
  databaseUrl: process.env.ADMIT_CHILD_DATABASE_URL!,
  clientDir,
  log: createLogger(config.logLevel, { format: 'json', destination }),
  limits: process.env.ADMIT_CHILD_REAL_LIMITS === '1' ? undefined : createRateLimits(1000),
});

process.on('message', (m: { type: string }) => {
  if (m.type === 'memory') {
    const rss = process.memoryUsage().rss;
    peakRss = Math.max(peakRss, rss);
    process.send!({ type: 'memory', rss, peakRss });
  } else if (m.type === 'reset-peak') {
    peakRss = process.memoryUsage().rss;
    process.send!({ type: 'reset-peak' });
  } else if (m.type === 'log') {
    process.send!({ type: 'log', messages: logged });
  } else if (m.type === 'stop') {
    void app.close().finally(() => process.exit(0));
  }
});
process.send!({ type: 'ready', port: app.port, origin: app.services.allowedOrigins()[0] });
