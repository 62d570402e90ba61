import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { parseConfig, ConfigError, allowedOriginsFor } from '../../../server/config.js';

describe('configuration', () => {
  it('has working defaults', () => {
    const c = parseConfig({});
    expect(c).toMatchObject({ port: 3000, databaseUrl: undefined, logLevel: 'info', secureCookies: false });
    expect(allowedOriginsFor(c, 3000)).toEqual(['http://localhost:3000', 'http://127.0.0.1:3000']);
  });

  it.each([
    [{ PORT: 'abc' }, /^Invalid configuration: PORT must be a number/],
    [{ PORT: '70000' }, /^Invalid configuration: PORT must be between 0 and 65535/],
    [{ DATABASE_URL: 'mysql://x' }, /^Invalid configuration: DATABASE_URL must be a URL starting with postgres:\/\/ or postgresql:\/\//],
    [{ PUBLIC_URL: 'portal.example.com' }, /^Invalid configuration: PUBLIC_URL must be a URL starting with http:\/\/ or https:\/\//],
    [{ ALLOWED_ORIGINS: 'https://ok.example, https://bad.example/path' }, /^Invalid configuration: ALLOWED_ORIGINS "https:\/\/bad.example\/path"/],
    [{ LOG_LEVEL: 'loud' }, /^Invalid configuration: LOG_LEVEL must be one of debug, info, warn, error, silent/],
    [{ ADMIN_EMAIL: 'ops@example.com' }, /^Invalid configuration: ADMIN_PASSWORD must be set together with ADMIN_EMAIL/],
    [{ ADMIN_EMAIL: 'ops@example.com', ADMIN_PASSWORD: 'short' }, /^Invalid configuration: ADMIN_PASSWORD must be at least 8 characters/],
  ])('rejects %o with one line naming the variable', (env, message) => {
    let err: unknown;
    try {
      parseConfig(env);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('\n');
  });

  it('never echoes a secret value in the message', () => {
    expect(() => parseConfig({ ADMIN_EMAIL: 'a@b.co', ADMIN_PASSWORD: 'short' })).toThrow(/^(?!.*short).*$/);
  });

  it('stops start-up with that one line and exit code 1', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'server/start.ts'], {
      env: { ...process.env, PORT: 'not-a-port', DATABASE_URL: '' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe('Invalid configuration: PORT must be a number (got "not-a-port")');
  });
});
