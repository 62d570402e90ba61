import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { freePort, startNginx, type RunningNginx } from '../../support/nginx.js';
import { subscribeLive, type LiveSubscription } from '../events/live-support.js';
import { spawnServer, run, type ServerProcess } from './support.js';
import { SESSION_COOKIE } from '../../../shared/constants.js';

/**
 * Two Admit OS processes behind the Debian nginx running deploy/nginx.conf, one database. Sign-ups
 * arrive through nginx at a steady rate from many client addresses (127.0.0.x: the whole of
 * 127/8 is loopback, so nginx sees a different peer per client), each with a forged
 * X-Forwarded-For, while an admin watches the live stream through nginx; replica A then B is
 * restarted (SIGTERM, start, /readyz).
 */

const ADMIN = { email: 'admin@nginx.test', password: 'rolling restart pw' };
const PASSWORD = 'correct horse battery';
// Each sign-up hashes a password: 5 a second keeps two processes on a shared 2-core machine
// busy without queueing more than SHUTDOWN_TIMEOUT_MS of work behind a draining process.
const RATE_PER_S = 5;
const t0 = Date.now();
/** NGINX_TEST_DEBUG=1 prints the test's steps with their times. */
const step = (m: string) => {
  if (process.env.NGINX_TEST_DEBUG) process.stderr.write(`[nginx-rolling +${Date.now() - t0} ms] ${m}\n`);
};

interface Reply {
  status: number;
  body: any;
  headers: Record<string, string | string[] | undefined>;
}

/** One HTTP request on a fresh connection from the given local (client) address. */
function httpCall(url: string, opts: { method?: string; body?: unknown; headers?: Record<string, string>; localAddress?: string }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const req = request(
      url,
      {
        method: opts.method ?? (body ? 'POST' : 'GET'),
        agent: false,
        localAddress: opts.localAddress,
        headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...opts.headers },
        timeout: 15_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // not JSON (nginx's own error pages)
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, headers: res.headers });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

interface SignupResult {
  email: string;
  from: string;
  outcome: 'ok' | 'rate_limited' | 'failed';
  detail?: string;
}

/**
 * One sign-up through nginx as a client would send it, never retried: a 502 or a broken connection
 * can come after Admit received the request, so a client cannot tell a lost sign-up from a stored
 * one, and resending would make the count below dishonest. Passing a refused connection on to
 * the other process is nginx's job (proxy_next_upstream in deploy/nginx.conf).
 */
async function signup(base: string, origin: string, email: string, from: string, forgedXff: string): Promise<SignupResult> {
  try {
    const r = await httpCall(`${base}/trpc/auth.signup`, {
      body: { email, password: PASSWORD, confirmPassword: PASSWORD, firstName: 'Roll', lastName: 'Ing' },
      headers: { origin, 'x-forwarded-for': forgedXff },
      localAddress: from,
    });
    if (r.status === 200 && r.body?.result?.data?.status) return { email, from, outcome: 'ok' };
    if (r.status === 429) return { email, from, outcome: 'rate_limited' };
    return { email, from, outcome: 'failed', detail: `${r.status} ${JSON.stringify(r.body).slice(0, 200)}` };
  } catch (e) {
    return { email, from, outcome: 'failed', detail: String(e) };
  }
}

describe('two replicas behind nginx (deploy/nginx.conf)', () => {
  let db: TestDatabase;
  let nginx: RunningNginx | undefined;
  let pgc: pg.Client;
  const ports: number[] = [];
  const replicas: (ServerProcess | undefined)[] = [undefined, undefined];
  let origin = '';

  const startReplica = async (i: number, extra: Record<string, string> = {}) => {
    const p = await spawnServer(
      process.execPath,
      ['dist/server/start.js'],
      {
        DATABASE_URL: db.url,
        PORT: String(ports[i]),
        // nginx reaches the replicas from 127.0.0.1: the one trusted proxy address.
        TRUST_PROXY: '127.0.0.1',
        PUBLIC_URL: origin,
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
        MAIL_POLL_MS: '200',
        MAIL_LOG_LINKS: 'false',
        SHUTDOWN_TIMEOUT_MS: '10000',
        METRICS: 'true',
        ...extra,
      },
      60_000,
    );
    replicas[i] = p;
    return p;
  };

  const waitReady = async (port: number) => {
    for (let i = 0; i < 200; i++) {
      const r = await httpCall(`http://127.0.0.1:${port}/readyz`, {}).catch(() => null);
      if (r?.status === 200) return;
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error(`replica on ${port} did not become ready`);
  };

  const stopReplica = async (i: number): Promise<number | string | null> => {
    const p = replicas[i];
    if (!p) return null;
    replicas[i] = undefined;
    if (p.child.exitCode !== null || p.child.signalCode !== null) return p.exited;
    p.child.kill('SIGTERM');
    const t = setTimeout(() => p.child.kill('SIGKILL'), 40_000);
    const code = await p.exited;
    clearTimeout(t);
    if (process.env.NGINX_TEST_DEBUG) writeFileSync(`/tmp/nginx-rolling-replica-${i}-${Date.now()}.log`, p.output());
    return code;
  };

  beforeAll(async () => {
    // The compiled server, as production runs it (and much quicker to start than tsx on a busy machine).
    const build = await run(process.execPath, ['scripts/build.mjs'], {});
    expect(build.code, build.stdout + build.stderr).toBe(0);
    db = await createTestDatabase();
    ports.push(await freePort(), await freePort());
    nginx = await startNginx({ upstreams: [`127.0.0.1:${ports[0]}`, `127.0.0.1:${ports[1]}`] });
    origin = nginx.url;
    // A first (it migrates and creates the admin), then B.
    await startReplica(0);
    await startReplica(1);
    await Promise.all([waitReady(ports[0]!), waitReady(ports[1]!)]);
    pgc = new pg.Client({ connectionString: db.url });
    await pgc.connect();
  }, 90_000);

  afterAll(async () => {
    await Promise.all([stopReplica(0), stopReplica(1)]).catch(() => undefined);
    if (process.env.NGINX_TEST_DEBUG && nginx)
      writeFileSync(`/tmp/nginx-rolling-error-${Date.now()}.log`, nginx.errorLog() + '\n--- access\n' + nginx.accessLog());
    await nginx?.stop().catch(() => undefined);
    await (pgc as pg.Client | undefined)?.end().catch(() => undefined);
    await (db as TestDatabase | undefined)?.drop();
  }, 60_000);

  it('rolling restart under steady sign-ups: every acknowledged sign-up stored, the admin stream complete and in order, each email sent once, rate limits on real client addresses', async () => {
    const base = nginx!.url;
    // The admin logs in through nginx and subscribes over WebSocket through nginx.
    const login = await httpCall(`${base}/trpc/auth.login`, { body: ADMIN, headers: { origin } });
    expect(login.status, JSON.stringify(login.body)).toBe(200);
    const cookie = ([] as string[]).concat(login.headers['set-cookie'] ?? []).find((c) => c.startsWith(SESSION_COOKIE + '='))!;
    const sessionId = cookie.slice(SESSION_COOKIE.length + 1).split(';')[0]!;
    // Sign-ups here come from a script, not a browser: the bot checks a browser passes by itself
    // (proof of work, minimum time on the form) are switched off the way an admin would.
    const adminHeaders = { origin, cookie: `${SESSION_COOKIE}=${sessionId}` };
    const security = await httpCall(`${base}/trpc/admin.settings.security.get`, { headers: adminHeaders });
    expect(security.status, JSON.stringify(security.body)).toBe(200);
    const update = await httpCall(`${base}/trpc/admin.settings.security.update`, {
      body: { ...security.body.result.data, powEnabled: false, minSubmitSeconds: 0 },
      headers: adminHeaders,
    });
    expect(update.status, JSON.stringify(update.body)).toBe(200);
    const startId = Number((await pgc.query('select coalesce(max(id), 0) as m from domain_event')).rows[0].m);
    const admin: LiveSubscription = subscribeLive(base, { sessionId, origin, retryDelayMs: () => 100 });
    try {
      await admin.started;

      // Steady sign-ups: RATE_PER_S a second, each from its own client address (127.0.0.10…209, a
      // couple of sign-ups each: under the per-IP limit) with a forged X-Forwarded-For.
      const results: Promise<SignupResult>[] = [];
      let n = 0;
      const tick = setInterval(() => {
        const i = n++;
        const from = `127.0.0.${10 + (i % 200)}`;
        results.push(signup(base, origin, `steady.${i}@nginx.test`, from, `203.0.113.${i % 250}`));
      }, 1000 / RATE_PER_S);
      let exitA: number | string | null = null;
      let exitB: number | string | null = null;
      try {
        await new Promise((r) => setTimeout(r, 1500));
        // Rolling restart: A, then B; each back and ready before the next goes.
        step('SIGTERM A');
        exitA = await stopReplica(0);
        step(`A exited ${String(exitA)}`);
        await startReplica(0);
        await waitReady(ports[0]!);
        step('A ready');
        // No pause here: deploy/nginx.conf never marks a process down (max_fails=0), so B's
        // refusals go to A as soon as A listens; /readyz above is the signal that A is up.
        step('SIGTERM B');
        exitB = await stopReplica(1);
        step(`B exited ${String(exitB)}`);
        await startReplica(1);
        await waitReady(ports[1]!);
        step('B ready');
        await new Promise((r) => setTimeout(r, 1500));
      } finally {
        clearInterval(tick);
      }
      step(`steady sign-ups sent: ${results.length}`);
      const steady = await Promise.all(results);
      step('steady sign-ups answered');
      expect(exitA).toBe(0);
      expect(exitB).toBe(0);
      expect(steady.length).toBeGreaterThan(RATE_PER_S * 5);
      const failed = steady.filter((r) => r.outcome !== 'ok');
      expect(failed, JSON.stringify(failed.slice(0, 3)) + '\nnginx error log:\n' + nginx!.errorLog().slice(-3000)).toEqual([]);

      // Per-IP limit on the address nginx saw: one client (127.0.0.3) sends 25 sign-ups, each
      // with a different forged X-Forwarded-For. The limit (10 per address in 10 minutes) is kept
      // in PostgreSQL, shared by both processes, so exactly 10 pass. Another client (127.0.0.4),
      // which forges 127.0.0.3 in its header, is not affected.
      step('rate limit phase');
      const flood: SignupResult[] = [];
      for (let i = 0; i < 25; i++) flood.push(await signup(base, origin, `flood.${i}@nginx.test`, '127.0.0.3', `198.51.100.${i + 1}`));
      const other: SignupResult[] = [];
      for (let i = 0; i < 4; i++) other.push(await signup(base, origin, `other.${i}@nginx.test`, '127.0.0.4', '127.0.0.3'));
      const floodOk = flood.filter((r) => r.outcome === 'ok');
      expect(floodOk.length, JSON.stringify(flood.filter((r) => r.outcome === 'failed').slice(0, 3))).toBe(10);
      expect(flood.filter((r) => r.outcome === 'rate_limited').length).toBe(25 - floodOk.length);
      expect(
        other.every((r) => r.outcome === 'ok'),
        JSON.stringify(other),
      ).toBe(true);

      // Exactly the acknowledged sign-ups are in the database.
      const acked = [...steady, ...floodOk, ...other.filter((r) => r.outcome === 'ok')].map((r) => r.email).sort();
      const stored = (await pgc.query<{ email: string }>(`select email from app_user where role = 'developer' order by email`)).rows.map((r) => r.email);
      expect(stored).toEqual(acked);
      const refused = flood.filter((r) => r.outcome !== 'ok').map((r) => r.email);
      expect((await pgc.query('select count(*)::int as n from app_user where email = any($1)', [refused])).rows[0].n).toBe(0);

      // The admin's stream: each live event once, in commit order, across its reconnects (resumed by lastEventId).
      const expectedIds = (
        await pgc.query<{ id: string }>(
          `select id from domain_event where id > $1 and (type like 'user.%' or type like 'invite.%' or type = 'settings.changed') order by id`,
          [startId],
        )
      ).rows.map((r) => Number(r.id));
      expect(expectedIds.length).toBe(acked.length);
      step('waiting for the admin stream');
      await admin.waitFor((events) => events.length >= expectedIds.length, 20_000);
      await new Promise((r) => setTimeout(r, 300));
      expect(admin.events.map((e) => e.id)).toEqual(expectedIds);
      const registered = admin.events.filter((e) => e.type === 'user.registered').map((e) => (e.data as any).user.email as string);
      expect(registered.sort()).toEqual(acked);
      // It was on a replica that restarted: it reconnected at least once.
      expect(admin.opens()).toBeGreaterThanOrEqual(2);

      // Every queued email sent exactly once (built-in mailbox: one mailbox row per outbox row).
      step('waiting for the outbox');
      let pending = -1;
      for (let i = 0; i < 200 && pending !== 0; i++) {
        pending = (await pgc.query(`select count(*)::int as n from email_outbox where status <> 'sent'`)).rows[0].n;
        if (pending) await new Promise((r) => setTimeout(r, 100));
      }
      expect(pending).toBe(0);
      const outbox = (await pgc.query('select count(*)::int as n from email_outbox')).rows[0].n;
      expect(outbox).toBeGreaterThanOrEqual(acked.length);
      const perRow = await pgc.query(
        `select o.id, count(m.id)::int as n from email_outbox o left join mailbox_message m on m.outbox_id = o.id group by o.id having count(m.id) <> 1`,
      );
      expect(perRow.rows).toEqual([]);
      expect((await pgc.query('select count(*)::int as n from mailbox_message')).rows[0].n).toBe(outbox);
    } finally {
      admin.close();
    }

    // nginx's access log names paths only, never query strings.
    await httpCall(`${base}/reset-password?token=secret-token-in-query`, {});
    await new Promise((r) => setTimeout(r, 100));
    const log = nginx!.accessLog();
    expect(log).toContain('"POST /trpc/auth.signup HTTP/1.1" 200');
    expect(log).toContain('GET /reset-password HTTP/1.1');
    expect(log).not.toContain('secret-token-in-query');
    expect(nginx!.errorLog()).not.toMatch(/\[(emerg|alert|crit)\]/);
  }, 120_000);

  it('deploy/admit.service passes systemd-analyze verify (when systemd-analyze is installed) and has the settings the README promises', async () => {
    const unit = readFileSync('deploy/admit.service', 'utf8');
    for (const line of [
      'ExecStart=/usr/bin/node dist/server/start.js',
      'User=admit',
      'Restart=on-failure',
      'KillSignal=SIGTERM',
      'KillMode=mixed',
      'EnvironmentFile=/etc/admit/admit.env',
    ]) {
      expect(unit).toContain(line);
    }
    // Longer than the default SHUTDOWN_TIMEOUT_MS (10 s).
    expect(Number(/^TimeoutStopSec=(\d+)s$/m.exec(unit)?.[1])).toBeGreaterThan(10);
    if (existsSync('/usr/bin/systemd-analyze')) {
      const r = await run('/usr/bin/systemd-analyze', ['verify', 'deploy/admit.service'], {});
      expect(r.stderr + r.stdout).toBe('');
      expect(r.code).toBe(0);
    }
  });
});
