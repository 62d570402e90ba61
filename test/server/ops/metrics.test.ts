import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../support/app.js';
import { httpClient } from '../../support/http.js';
import { insertUser, uniqueEmail } from '../../support/users.js';
import { createRateLimits, RateLimiter } from '../../../server/security/rate-limit.js';
import { setRequireEmailVerification } from '../../support/verify.js';

const TOKEN = 'metrics-token-0123456789abcdef';

/** The value of one sample line (`name{labels} value`); 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v) && Object.keys(got).length === Object.keys(labels).length) return Number(m[3]);
  }
  return 0;
}

async function scrape(app: TestApp, token: string | null = TOKEN): Promise<string> {
  const r = await fetch(app.url + '/metrics', token ? { headers: { authorization: `Bearer ${token}` } } : {});
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return r.text();
}

describe('/metrics', () => {
  it('answers 404 unless METRICS=true', async () => {
    const app = await startTestApp();
    try {
      const r = await fetch(app.url + '/metrics');
      expect(r.status).toBe(404);
    } finally {
      await app.stop();
    }
  });

  describe('with METRICS=true and METRICS_TOKEN', () => {
    let app: TestApp;
    beforeAll(async () => {
      // Real limits, except sign-ups: two per IP, so a third from one address is refused.
      const limits = { ...createRateLimits(1000), signupPerIp: new RateLimiter('signupPerIp', 2, 60_000) };
      app = await startTestApp({ env: { METRICS: 'true', METRICS_TOKEN: TOKEN }, limits });
      await setRequireEmailVerification(app, false); // not what this file tests
    });
    afterAll(async () => {
      await (app as TestApp | undefined)?.stop();
    });

    it('refuses without the bearer token, and with a wrong one', async () => {
      expect((await fetch(app.url + '/metrics')).status).toBe(401);
      const wrong = await fetch(app.url + '/metrics', { headers: { authorization: 'Bearer not-the-token-at-all-xx' } });
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get('www-authenticate')).toMatch(/^Bearer/);
    });

    it('serves the Prometheus text format with every named metric', async () => {
      const text = await scrape(app);
      for (const name of [
        'admit_trpc_request_duration_seconds',
        'admit_websocket_connections',
        'admit_live_subscribers',
        'admit_event_lag_seconds',
        'admit_events_delivered_total',
        'admit_outbox_pending',
        'admit_outbox_oldest_due_age_seconds',
        'admit_emails_sent_total',
        'admit_emails_failed_total',
        'admit_signups_total',
        'admit_logins_total',
        'admit_rate_limit_refusals_total',
        'admit_process_cpu_seconds_total',
        'admit_nodejs_eventloop_lag_seconds',
      ]) {
        expect(text, name).toContain(`# TYPE ${name} `);
      }
      expect(text).toContain('# TYPE admit_event_lag_seconds histogram');
      expect(text).toMatch(/^admit_event_lag_seconds_bucket\{le="0\.1"\} \d+$/m);
    });

    it('sign-ups and logins move their counters; a refused sign-up counts as rate limited and by limiter', async () => {
      const before = await scrape(app);
      const client = httpClient(app.url, { origin: app.origin, batch: false });
      // HTTP calls from 127.0.0.1: two sign-ups pass (pending: auto-approval is off by default), the third is refused.
      for (let i = 0; i < 2; i++) {
        const out = await client.auth.signup.mutate({
          email: uniqueEmail('m'),
          password: 'correct horse battery',
          confirmPassword: 'correct horse battery',
          firstName: 'M',
          lastName: 'Etric',
        });
        expect(out.status).toBe('pending');
      }
      await expect(
        client.auth.signup.mutate({
          email: uniqueEmail('m'),
          password: 'correct horse battery',
          confirmPassword: 'correct horse battery',
          firstName: 'M',
          lastName: 'Etric',
        }),
      ).rejects.toThrow(/Too many attempts/);
      const user = await insertUser(app, { status: 'active' });
      await client.auth.login.mutate({ email: user.email, password: user.password! });
      await expect(client.auth.login.mutate({ email: user.email, password: 'wrong password here' })).rejects.toThrow(/Incorrect/);

      const after = await scrape(app);
      const delta = (name: string, labels: Record<string, string>) => sample(after, name, labels) - sample(before, name, labels);
      expect(delta('admit_signups_total', { outcome: 'pending' })).toBe(2);
      expect(delta('admit_signups_total', { outcome: 'rate_limited' })).toBe(1);
      expect(delta('admit_rate_limit_refusals_total', { limiter: 'signupPerIp' })).toBe(1);
      expect(delta('admit_logins_total', { outcome: 'success' })).toBe(1);
      expect(delta('admit_logins_total', { outcome: 'invalid_credentials' })).toBe(1);
      expect(delta('admit_trpc_request_duration_seconds_count', { procedure: 'auth.signup', type: 'mutation', transport: 'http', outcome: 'ok' })).toBe(2);
      expect(
        delta('admit_trpc_request_duration_seconds_count', { procedure: 'auth.signup', type: 'mutation', transport: 'http', outcome: 'TOO_MANY_REQUESTS' }),
      ).toBe(1);
      expect(
        delta('admit_trpc_request_duration_seconds_count', { procedure: 'auth.login', type: 'mutation', transport: 'http', outcome: 'UNAUTHORIZED' }),
      ).toBe(1);
    });

    it('the event lag histogram counts an event as the bus delivers it; the outbox gauges and sent total follow the mail worker', async () => {
      const before = await scrape(app);
      // A fresh address: the per-IP sign-up limit applies to 127.0.0.1, so this one goes through the caller with another IP.
      await app.caller({ ip: '192.0.2.10' }).auth.signup({
        email: uniqueEmail('lag'),
        password: 'correct horse battery',
        confirmPassword: 'correct horse battery',
        firstName: 'L',
        lastName: 'Ag',
      });
      // Wait for the bus to publish the user.registered event.
      let after = before;
      for (let i = 0; i < 100; i++) {
        after = await scrape(app);
        if (sample(after, 'admit_event_lag_seconds_count') > sample(before, 'admit_event_lag_seconds_count')) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(sample(after, 'admit_event_lag_seconds_count') - sample(before, 'admit_event_lag_seconds_count')).toBeGreaterThanOrEqual(1);
      expect(sample(after, 'admit_events_delivered_total') - sample(before, 'admit_events_delivered_total')).toBeGreaterThanOrEqual(1);
      expect(sample(after, 'admit_signups_total', { outcome: 'pending' }) - sample(before, 'admit_signups_total', { outcome: 'pending' })).toBe(1);

      // The registration queued emails; once the worker has sent them the outbox is empty and the sent total moved.
      await app.mailWorker!.drain();
      const drained = await scrape(app);
      expect(sample(drained, 'admit_outbox_pending')).toBe(0);
      expect(sample(drained, 'admit_outbox_oldest_due_age_seconds')).toBe(0);
      expect(sample(drained, 'admit_emails_sent_total') - sample(before, 'admit_emails_sent_total')).toBeGreaterThanOrEqual(1);

      // An email due a minute ago and not sent (the worker stopped): depth 1, oldest due age about 60 s.
      await app.mailWorker!.stop();
      await app.services.em().execute(
        `insert into email_outbox (template, to_address, variables, status, attempts, max_attempts, next_attempt_at, created_at, updated_at)
         values ('welcome', 'late@example.test', '{}'::jsonb, 'pending', 0, 8, now() - interval '60 seconds', now(), now())`,
      );
      const late = await scrape(app);
      expect(sample(late, 'admit_outbox_pending')).toBeGreaterThanOrEqual(1);
      expect(sample(late, 'admit_outbox_oldest_due_age_seconds')).toBeGreaterThanOrEqual(59);
    });
  });
});
