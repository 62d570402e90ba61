import { describe, expect, it } from 'vitest';
import { ConfigError, mailLinksInLog, parseConfig } from '../../../server/config.js';

describe('operations settings', () => {
  it('refuse to start in production without DATABASE_URL, in one line naming the variable', () => {
    let error: unknown;
    try {
      parseConfig({ NODE_ENV: 'production' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/^Invalid configuration: DATABASE_URL must be set when NODE_ENV=production/);
    expect(message).not.toContain('\n');
    expect(parseConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://db/admit' }).production).toBe(true);
  });

  it('read TRUST_PROXY as hops or a list of addresses and CIDRs, never as "trust everyone"', () => {
    expect(parseConfig({}).trustProxy).toBe(false);
    expect(parseConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(parseConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(1);
    expect(parseConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(parseConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.5 ,::1' }).trustProxy).toEqual(['10.0.0.0/8', '192.168.1.5', '::1']);
    expect(parseConfig({ TRUST_PROXY: 'loopback' }).trustProxy).toEqual(['loopback']);
    expect(() => parseConfig({ TRUST_PROXY: 'nginx.local' })).toThrow(/TRUST_PROXY must be a number of proxy hops or a comma-separated list/);
    expect(() => parseConfig({ TRUST_PROXY: '10.0.0.0/33' })).toThrow(/TRUST_PROXY/);
  });

  it('parse the shutdown, migration and direct-connection settings', () => {
    const c = parseConfig({ SHUTDOWN_TIMEOUT_MS: '2500', MIGRATE_ON_START: 'false', DIRECT_DATABASE_URL: 'postgres://direct/admit', LOG_FORMAT: 'pretty' });
    expect(c.shutdownTimeoutMs).toBe(2500);
    expect(c.migrateOnStart).toBe(false);
    expect(c.directDatabaseUrl).toBe('postgres://direct/admit');
    expect(c.logFormat).toBe('pretty');
    expect(parseConfig({}).shutdownTimeoutMs).toBe(10_000);
    expect(parseConfig({}).migrateOnStart).toBe(true);
    expect(() => parseConfig({ DIRECT_DATABASE_URL: 'mysql://x' })).toThrow(/DIRECT_DATABASE_URL/);
  });

  it('allow links with live tokens in the log only in built-in mailbox mode outside production, unless MAIL_LOG_LINKS=false', () => {
    expect(mailLinksInLog(parseConfig({}))).toBe(true);
    expect(mailLinksInLog(parseConfig({ MAIL_LOG_LINKS: 'false' }))).toBe(false);
    expect(mailLinksInLog(parseConfig({ SMTP_URL: 'smtp://mail.example.com:25' }))).toBe(false);
    expect(mailLinksInLog(parseConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://db/admit' }))).toBe(false);
    expect(mailLinksInLog(parseConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://db/admit', MAIL_LOG_LINKS: 'true' }))).toBe(false);
  });
});
