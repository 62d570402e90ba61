import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestApp, type TestApp } from '../../support/app.js';
import { insertUser } from '../../support/users.js';
import { rawPost } from '../../support/http.js';

function upgrade(url: string, origin?: string): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url.replace(/^http/, 'ws') + '/trpc', { headers: origin ? { origin } : {} });
    ws.on('open', () => {
      ws.close();
      resolve({ status: 101 });
    });
    ws.on('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0 }));
    ws.on('error', (e) => reject(e));
  });
}

describe('Origin checks', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.stop());

  it('allow localhost and 127.0.0.1 on the actual port when PUBLIC_URL is not set', () => {
    expect(app.services.allowedOrigins()).toEqual([`http://localhost:${app.port}`, `http://127.0.0.1:${app.port}`]);
  });

  it('accept a WebSocket upgrade from an allowed Origin', async () => {
    expect((await upgrade(app.url, app.origin)).status).toBe(101);
    expect((await upgrade(app.url, `http://127.0.0.1:${app.port}`)).status).toBe(101);
  });

  it('answer 403 to a WebSocket upgrade from a foreign Origin, or with none', async () => {
    expect((await upgrade(app.url, 'https://evil.example')).status).toBe(403);
    expect((await upgrade(app.url, `http://localhost:${app.port + 1}`)).status).toBe(403);
    expect((await upgrade(app.url)).status).toBe(403);
  });

  it('refuse an HTTP mutation from a foreign Origin before running it', async () => {
    const u = await insertUser(app);
    const res = await rawPost(app.url, 'auth.login', { email: u.email, password: u.password }, { origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect(res.headers.getSetCookie()).toEqual([]);
    const ok = await rawPost(app.url, 'auth.login', { email: u.email, password: u.password }, { origin: app.origin });
    expect(ok.status).toBe(200);
  });

  it('refuse a cross-site mutation that hides its Origin but is marked cross-site by Fetch Metadata', async () => {
    const u = await insertUser(app);
    const res = await rawPost(app.url, 'auth.login', { email: u.email, password: u.password }, { 'sec-fetch-site': 'cross-site' });
    expect(res.status).toBe(403);
  });
});

describe('Origin allow-list from PUBLIC_URL and ALLOWED_ORIGINS', () => {
  it('uses the origin of PUBLIC_URL', async () => {
    const app = await startTestApp({ env: { PUBLIC_URL: 'https://portal.example.test/base/' } });
    try {
      expect(app.services.allowedOrigins()).toEqual(['https://portal.example.test']);
      expect((await upgrade(app.url, 'https://portal.example.test')).status).toBe(101);
      expect((await upgrade(app.url, `http://localhost:${app.port}`)).status).toBe(403);
    } finally {
      await app.stop();
    }
  });

  it('uses ALLOWED_ORIGINS when given', async () => {
    const app = await startTestApp({ env: { ALLOWED_ORIGINS: 'https://a.example.test, http://b.example.test:8080' } });
    try {
      expect(app.services.allowedOrigins()).toEqual(['https://a.example.test', 'http://b.example.test:8080']);
      expect((await upgrade(app.url, 'http://b.example.test:8080')).status).toBe(101);
    } finally {
      await app.stop();
    }
  });
});
