import { afterAll, describe, expect, it } from 'vitest';
import { sql, startTestApp, type TestApp } from '../../support/app.js';
import { adminSession } from '../../support/users.js';
import { apiCall, createTestToken } from '../../support/api.js';

/** The REST edge takes the client address from the trusted-proxy helper (security/client-ip.ts), as the rest of the app does. */
describe('REST API client address', () => {
  const apps: TestApp[] = [];
  afterAll(async () => {
    for (const a of apps) await a.stop();
  });

  async function lastUsedIp(env: Record<string, string>, forwardedFor: string): Promise<string | null> {
    const app = await startTestApp({ env });
    apps.push(app);
    const admin = await adminSession(app);
    const t = await createTestToken(app, admin.id, ['users:read']);
    const res = await apiCall(app, 'GET', '/api/v1/users?limit=1', { token: t.token, headers: { 'x-forwarded-for': forwardedFor } });
    expect(res.status).toBe(200);
    return (await sql(app, `select last_used_ip from api_token where id = ?`, [t.id]))[0].last_used_ip;
  }

  it('behind one trusted proxy, the address the proxy saw (the rightmost X-Forwarded-For entry), never the client-written one', async () => {
    expect(await lastUsedIp({ TRUST_PROXY: '1' }, '198.51.100.7, 203.0.113.9')).toBe('203.0.113.9');
  });

  it('without a trusted proxy, X-Forwarded-For is ignored: the socket peer', async () => {
    const ip = await lastUsedIp({}, '203.0.113.9');
    expect(ip).not.toBe('203.0.113.9');
    expect(ip).toMatch(/127\.0\.0\.1|::1/);
  });
});
