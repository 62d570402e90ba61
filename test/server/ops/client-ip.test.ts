import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { clientIp } from '../../../server/security/client-ip.js';
import { parseConfig } from '../../../server/config.js';

/** A raw HTTP/1.1 request over a socket, with exactly the headers given (forged ones included). */
function rawGet(port: number, path: string, headers: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => {
      s.write([`GET ${path} HTTP/1.1`, 'Host: localhost', 'Connection: close', ...headers, '', ''].join('\r\n'));
    });
    let data = '';
    s.on('data', (b) => (data += b.toString()));
    s.on('end', () => resolve(data.slice(data.indexOf('\r\n\r\n') + 4)));
    s.on('error', reject);
  });
}

describe('client IP behind proxies (TRUST_PROXY)', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    // Echoes the client IP for the TRUST_PROXY given in the query, as the app's context computes it.
    server = createServer((req, res) => {
      const trust = parseConfig({ TRUST_PROXY: new URL(req.url!, 'http://x').searchParams.get('trust') ?? '' }).trustProxy;
      res.end(clientIp(req, trust));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('ignore X-Forwarded-For when no proxy is trusted', async () => {
    expect(await rawGet(port, '/?trust=false', ['X-Forwarded-For: 6.6.6.6'])).toBe('127.0.0.1');
  });

  it('take the address one hop from the right with one trusted proxy, not the leftmost entry the client wrote', async () => {
    // The client forged "6.6.6.6"; the proxy appended the address it saw (203.0.113.7).
    expect(await rawGet(port, '/?trust=1', ['X-Forwarded-For: 6.6.6.6, 203.0.113.7'])).toBe('203.0.113.7');
    expect(await rawGet(port, '/?trust=true', ['X-Forwarded-For: 6.6.6.6, 203.0.113.7'])).toBe('203.0.113.7');
    // Several X-Forwarded-For lines count as one list.
    expect(await rawGet(port, '/?trust=1', ['X-Forwarded-For: 6.6.6.6', 'X-Forwarded-For: 203.0.113.8'])).toBe('203.0.113.8');
  });

  it('walk as many hops as configured', async () => {
    expect(await rawGet(port, '/?trust=2', ['X-Forwarded-For: 6.6.6.6, 198.51.100.1, 10.0.0.2'])).toBe('198.51.100.1');
    // Fewer entries than hops: the leftmost there is, which a trusted proxy wrote.
    expect(await rawGet(port, '/?trust=3', ['X-Forwarded-For: 198.51.100.9'])).toBe('198.51.100.9');
  });

  it('with a list of proxy addresses, stop at the first address that is not a trusted proxy', async () => {
    const trust = encodeURIComponent('127.0.0.1,10.0.0.0/8');
    expect(await rawGet(port, `/?trust=${trust}`, ['X-Forwarded-For: 6.6.6.6, 198.51.100.2, 10.1.2.3'])).toBe('198.51.100.2');
    // The peer is not in the list: its headers are not believed at all.
    expect(await rawGet(port, `/?trust=${encodeURIComponent('10.0.0.0/8')}`, ['X-Forwarded-For: 6.6.6.6'])).toBe('127.0.0.1');
  });
});
