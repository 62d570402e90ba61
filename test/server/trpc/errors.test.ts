import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../support/app.js';
import { rawPost } from '../../support/http.js';

describe('error formatting', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.stop());

  it('gives zod errors as field messages', async () => {
    const res = await rawPost(
      app.url,
      'auth.setup',
      { firstName: '', lastName: 'x'.repeat(500), email: 'nope', password: 'short', confirmPassword: 'other' },
      { origin: app.origin },
    );
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error.data.fieldErrors).toMatchObject({
      firstName: 'First name is required',
      lastName: 'Last name must be at most 100 characters',
      email: 'Enter a valid email address',
      password: 'Password must be at least 8 characters',
    });
    expect(body.error.message).toBe('Please correct the highlighted fields');
  });

  it('never sends a stack trace, and hides internal errors behind a generic message', async () => {
    // A body that is not JSON makes the adapter fail while parsing.
    const res = await fetch(`${app.url}/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: app.origin },
      body: '{"email":',
    });
    const text = await res.text();
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(text).not.toMatch(/"stack"|\bat [\w.<>]+ \(/);
  });

  it('refuses an oversized body without crashing the server', async () => {
    const res = await rawPost(app.url, 'auth.login', { email: 'a@b.co', password: 'x'.repeat(400_000) }, { origin: app.origin });
    expect(res.status).toBe(413);
    const health = await fetch(`${app.url}/healthz`);
    expect(health.status).toBe(200);
  });

  it('answers an unknown procedure with NOT_FOUND', async () => {
    const res = await fetch(`${app.url}/trpc/admin.doesNotExist`);
    expect(res.status).toBe(404);
  });
});
