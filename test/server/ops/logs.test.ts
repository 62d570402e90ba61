import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { parseConfig } from '../../../server/config.js';
import { startApp, type RunningApp } from '../../../server/app.js';
import { createLogger, redactFields, redactText } from '../../../server/logger.js';
import { createRateLimits } from '../../../server/security/rate-limit.js';
import { queueEmail } from '../../../server/mail/outbox.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { uniqueEmail } from '../../support/users.js';

type Line = Record<string, any>;

async function startCapturing(db: TestDatabase, env: Record<string, string> = {}): Promise<{ app: RunningApp; lines: Line[] }> {
  const lines: Line[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
      cb();
    },
  });
  const config = parseConfig({ PORT: '0', MAIL_POLL_MS: '100', DATABASE_URL: db.url, ...env });
  const app = await startApp({ config, databaseUrl: db.url, limits: createRateLimits(1000), log: createLogger('debug', { format: 'json', destination }) });
  return { app, lines };
}

async function waitFor<T>(fn: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('logs', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await (db as TestDatabase | undefined)?.drop();
  });

  it('redact passwords, cookies, tokens, credentials in URLs and token links', () => {
    const out = redactFields({
      password: 'hunter22',
      headers: { cookie: 'admit_session=abc', authorization: 'Bearer x' },
      resetUrl: 'https://portal.example.com/reset-password?token=SECRET1&x=1',
      note: 'open https://portal.example.com/register?invite=SECRET2 now',
      db: 'postgres://admit:SECRET3@db:5432/admit',
      error: new Error('connect failed for postgres://admit:SECRET4@db/admit'),
      count: 3,
    });
    const text = JSON.stringify(out);
    for (const s of ['hunter22', 'abc', 'Bearer', 'SECRET1', 'SECRET2', 'SECRET3', 'SECRET4']) expect(text).not.toContain(s);
    expect(out.count).toBe(3);
    expect(out.resetUrl).toBe('https://portal.example.com/reset-password?token=[redacted]&x=1');
    expect(redactText('see http://h/reset-password?token=t0k3n')).toBe('see http://h/reset-password?token=[redacted]');
  });

  it('write JSON lines with the request id of the HTTP request in every line it causes', async () => {
    const { app, lines } = await startCapturing(db);
    try {
      const r = await fetch(app.url + '/trpc/auth.me', { headers: { origin: app.services.allowedOrigins()[0]! } });
      const reqId = r.headers.get('x-request-id');
      expect(reqId).toMatch(/^[0-9a-f]{16}$/);
      const access = await waitFor(() => lines.find((l) => l.msg === 'request' && l.path === '/trpc/auth.me'));
      expect(access).toMatchObject({ level: 'info', reqId, method: 'GET', status: r.status });
      expect(typeof access.time).toBe('string');
      // Another request gets another id.
      const r2 = await fetch(app.url + '/trpc/auth.me');
      expect(r2.headers.get('x-request-id')).not.toBe(reqId);
    } finally {
      await app.close();
    }
  });

  it('log emailed links with live tokens in built-in mailbox mode only, and never in production or with MAIL_LOG_LINKS=false', async () => {
    const cases: [Record<string, string>, boolean][] = [
      [{}, true],
      [{ MAIL_LOG_LINKS: 'false' }, false],
      [{ NODE_ENV: 'production' }, false],
    ];
    for (const [env, logged] of cases) {
      const { app, lines } = await startCapturing(db, env);
      try {
        const to = uniqueEmail('links');
        const resetUrl = `${app.services.publicUrl()}/reset-password?token=LIVE${Date.now()}`;
        await app.services.em().transactional((tx) => queueEmail(tx, 'password-reset', to, { firstName: 'Lin', resetUrl, expiresInMinutes: 60 }));
        const line = await waitFor(() => lines.find((l) => l.msg === 'email delivered to the built-in mailbox' && l.to === to));
        const text = JSON.stringify(line);
        if (logged) expect(line.links).toContain(resetUrl);
        else {
          expect(line.links).toBeUndefined();
          expect(text).not.toContain('LIVE');
        }
        // Whatever the mode, no other line carries the token.
        expect(lines.filter((l) => l !== line).some((l) => JSON.stringify(l).includes(resetUrl))).toBe(false);
      } finally {
        await app.close();
      }
    }
  });
});
