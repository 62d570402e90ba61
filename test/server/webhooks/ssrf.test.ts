import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { sql, startTestApp, type TestApp } from '../../support/app.js';
import { adminSession } from '../../support/users.js';
import { startDnsServer, startWebhookReceiver, type TestDnsServer, type WebhookReceiver } from '../../support/webhook-receiver.js';
import { addressProblem, checkedAddress, hostResolver } from '../../../server/webhooks/ssrf.js';

describe('SSRF guard: which addresses a webhook may reach', () => {
  it.each([
    '127.0.0.1',
    '127.8.9.10',
    '0.0.0.0',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '169.254.1.1',
    '100.64.0.1',
    '100.127.255.254',
    '198.18.0.1',
    '224.0.0.1',
    '255.255.255.255',
    '::',
    '::1',
    'fe80::1',
    'fc00::1',
    'fd12:3456::1',
    '::ffff:127.0.0.1',
    '::ffff:169.254.169.254',
    '::ffff:7f00:1',
    '::127.0.0.1',
    '64:ff9b::a00:1',
    '2002:c0a8:0101::1',
    'ff02::1',
  ])('refuses %s', (ip) => {
    expect(addressProblem(ip)).not.toBeNull();
  });

  it.each(['93.184.216.34', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:93.184.216.34', '64:ff9b::808:808'])('allows %s', (ip) => {
    expect(addressProblem(ip)).toBeNull();
  });
});

describe('SSRF guard on real connections', () => {
  let app: TestApp;
  let dns: TestDnsServer;
  let rx: WebhookReceiver;
  let admin: Awaited<ReturnType<typeof adminSession>>;

  beforeAll(async () => {
    rx = await startWebhookReceiver();
    // A real DNS server on loopback: names that resolve to private addresses, one allowed by name.
    dns = await startDnsServer({
      'internal.example.test': { A: ['10.0.0.5'] },
      'metadata.example.test': { A: ['169.254.169.254'] },
      'rebind.example.test': { A: ['93.184.216.34', '127.0.0.1'] },
      'mapped.example.test': { AAAA: ['::ffff:7f00:1'] },
      'receiver.example.test': { A: ['127.0.0.1'] },
      localhost: { A: ['127.0.0.1'], AAAA: ['::1'] },
    });
    app = await startTestApp({
      env: {
        APP_SECRET_KEY: randomBytes(32).toString('base64'),
        WEBHOOK_DNS_SERVER: dns.address,
        WEBHOOK_ALLOWED_HOSTS: 'receiver.example.test',
        WEBHOOK_POLL_MS: '100',
      },
    });
    admin = await adminSession(app);
  });
  afterAll(async () => {
    await (app as TestApp | undefined)?.stop();
    await (dns as TestDnsServer | undefined)?.close();
    await (rx as WebhookReceiver | undefined)?.stop();
  });

  const guard = () => ({ allowedHosts: app.webhooks.allowedHosts, resolve: app.webhooks.resolve });

  it('resolves through the configured DNS server and refuses names that resolve to private, metadata or mapped loopback addresses', async () => {
    for (const [host, pattern] of [
      ['internal.example.test', /10\.0\.0\.5/],
      ['metadata.example.test', /169\.254\.169\.254/],
      ['rebind.example.test', /127\.0\.0\.1/],
      ['mapped.example.test', /::ffff:.*carries 127\.0\.0\.1/],
      ['localhost', /127\.0\.0\.1|::1/],
    ] as const) {
      const err = await checkedAddress(new URL(`http://${host}:${rx.port}/`), guard()).then(
        () => null,
        (e: unknown) => e,
      );
      expect(String(err), host).toMatch(pattern);
    }
    expect(dns.asked).toEqual(expect.arrayContaining(['internal.example.test A', 'mapped.example.test AAAA']));
    await expect(checkedAddress(new URL(`http://nowhere.example.test/`), guard())).rejects.toThrow(/could not resolve/);
    // Literal addresses are checked without DNS.
    for (const url of ['http://127.0.0.1/', 'http://[::1]/', 'http://[::ffff:127.0.0.1]/', 'http://169.254.169.254/latest/meta-data/', 'http://[fd00::1]/']) {
      await expect(checkedAddress(new URL(url), guard()), url).rejects.toThrow(/refused/);
    }
  });

  it('never sends to a refused address: the delivery records why and retries on the schedule', async () => {
    const hooks = admin.caller.admin.settings.webhooks;
    const urls = [
      `http://internal.example.test:${rx.port}/a`,
      `http://metadata.example.test:${rx.port}/b`,
      `http://mapped.example.test:${rx.port}/c`,
      `http://localhost:${rx.port}/d`,
    ];
    const ids: string[] = [];
    for (const url of urls) ids.push((await hooks.create({ url, description: '', eventTypes: ['*'], enabled: true })).endpoint.id);
    for (const id of ids) await hooks.sendTest({ id });
    await app.webhooks.worker!.drain();
    const rows = await sql(app, `select endpoint_id, status, attempts, last_error, response_status from webhook_delivery where endpoint_id = any(?::uuid[])`, [
      `{${ids.join(',')}}`,
    ]);
    expect(rows).toHaveLength(4);
    for (const r of rows) {
      expect(r.attempts).toBe(1);
      expect(r.status).toBe('pending');
      expect(r.response_status).toBeNull();
      expect(r.last_error).toMatch(/refused/);
    }
    expect(rx.received).toHaveLength(0);
    await sql(app, `delete from webhook_endpoint`);
  });

  it('refuses a literal private address already when the endpoint is saved (400, field message)', async () => {
    const hooks = admin.caller.admin.settings.webhooks;
    for (const url of [
      'http://127.0.0.1:9/x',
      'http://169.254.169.254/latest/meta-data/',
      'https://[::ffff:10.0.0.1]/x',
      'http://[fe80::1]/x',
      'http://100.64.1.1/x',
    ]) {
      const err = await hooks.create({ url, description: '', eventTypes: ['*'], enabled: true }).then(
        () => null,
        (e: unknown) => e as { code?: string; cause?: { reason?: string; fieldErrors?: Record<string, string> } },
      );
      expect(err?.code, url).toBe('BAD_REQUEST');
      expect(err?.cause?.reason, url).toBe('WEBHOOK_ADDRESS_REFUSED');
      expect(err?.cause?.fieldErrors?.url, url).toMatch(/webhooks cannot be sent there/);
    }
    expect(await sql(app, `select id from webhook_endpoint`)).toEqual([]);
  });

  it('connects to the address it checked, keeping the Host header, and follows no redirect', async () => {
    const hooks = admin.caller.admin.settings.webhooks;
    const { endpoint } = await hooks.create({ url: `http://receiver.example.test:${rx.port}/allowed`, description: '', eventTypes: ['*'], enabled: true });
    rx.reply('/allowed', { status: 302, headers: { location: `http://127.0.0.1:${rx.port}/elsewhere` } });
    await hooks.sendTest({ id: endpoint.id });
    const [got] = await rx.waitFor(1, '/allowed');
    expect(got!.headers.host).toBe(`receiver.example.test:${rx.port}`);
    await app.webhooks.worker!.drain();
    const [row] = await sql(app, `select status, response_status from webhook_delivery where endpoint_id = ?`, [endpoint.id]);
    // A redirect is not success, and it is not followed.
    expect(row.response_status).toBe(302);
    expect(row.status).toBe('pending');
    expect(rx.received.filter((r) => r.path === '/elsewhere')).toHaveLength(0);
  });

  it('the system resolver is used when no DNS server is configured', async () => {
    expect(await hostResolver()('localhost')).toEqual(expect.arrayContaining([expect.stringMatching(/^(127\.0\.0\.1|::1)$/)]));
  });
});
