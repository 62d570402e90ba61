import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { WEBHOOK_BODY_KEEP_BYTES, WEBHOOK_TIMEOUT_MS } from '../../shared/webhooks.js';
import { checkedAddress, type GuardOptions } from './ssrf.js';

export interface SendResult {
  /** null when no response arrived (refused address, connection error, timeout). */
  status: number | null;
  /** The first 2 KB of the response body (UTF-8, possibly cut mid-character). */
  body: string | null;
  retryAfter: string | null;
  latencyMs: number;
  error: string | null;
  /** The SSRF guard refused the address (nothing was sent). */
  refused: boolean;
  /** Cut short by `signal`: whether the receiver got it is unknown. */
  aborted?: boolean;
}

export interface SendOptions extends GuardOptions {
  timeoutMs?: number;
  /** Aborts the request (the process is shutting down): the result says `aborted`, and the caller records nothing. */
  signal?: AbortSignal;
}

/**
 * POSTs one webhook: resolves and checks the host (ssrf.ts), connects to that very address (the
 * socket's lookup answers with it, so nothing resolves the name again), keeps the Host header and
 * the TLS server name, follows no redirect, gives up after 15 s in all, and reads at most 2 KB of
 * the answer.
 */
export async function sendWebhook(urlText: string, headers: Record<string, string>, body: string, opts: SendOptions): Promise<SendResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const url = new URL(urlText);
  let target: { address: string; family: 4 | 6 };
  try {
    target = await checkedAddress(url, opts);
  } catch (e) {
    return { status: null, body: null, retryAfter: null, latencyMs: elapsed(), error: e instanceof Error ? e.message : String(e), refused: true };
  }
  const pinned: LookupFunction = (_host, options, cb) => {
    // Node asks for all addresses when it may try several (autoSelectFamily): the answer is still the one checked.
    if ((options as { all?: boolean }).all) (cb as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [target]);
    else cb(null, target.address, target.family);
  };
  const timeoutMs = opts.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  const payload = Buffer.from(body, 'utf8');
  return new Promise<SendResult>((resolve) => {
    let done = false;
    const finish = (r: Omit<SendResult, 'latencyMs' | 'refused'>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ ...r, latencyMs: elapsed(), refused: false });
    };
    const lib = url.protocol === 'https:' ? https : http;
    const req = lib.request(
      {
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port || undefined,
        path: url.pathname + url.search,
        method: 'POST',
        lookup: pinned,
        agent: false,
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': String(payload.length),
          'user-agent': 'Admit-Webhooks/1.0',
        },
        ...(url.protocol === 'https:' && !isIpLiteral(url.hostname) ? { servername: url.hostname } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        const status = res.statusCode ?? null;
        const retryAfter = typeof res.headers['retry-after'] === 'string' ? res.headers['retry-after'] : null;
        const complete = () => {
          finish({ status, body: Buffer.concat(chunks).toString('utf8'), retryAfter, error: null });
          res.destroy();
        };
        res.on('data', (c: Buffer) => {
          if (kept < WEBHOOK_BODY_KEEP_BYTES) {
            const part = c.subarray(0, WEBHOOK_BODY_KEEP_BYTES - kept);
            chunks.push(part);
            kept += part.length;
          }
          // Enough is kept: the rest is not waited for.
          if (kept >= WEBHOOK_BODY_KEEP_BYTES) complete();
        });
        res.on('end', complete);
        res.on('error', complete);
      },
    );
    const timer = setTimeout(() => {
      finish({ status: null, body: null, retryAfter: null, error: `no answer within ${Math.round(timeoutMs / 1000)} s` });
      req.destroy();
    }, timeoutMs);
    const onAbort = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({
        status: null,
        body: null,
        retryAfter: null,
        latencyMs: elapsed(),
        error: 'stopped: the process is shutting down',
        refused: false,
        aborted: true,
      });
      req.destroy();
    };
    if (opts.signal?.aborted) queueMicrotask(onAbort);
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('close', () => opts.signal?.removeEventListener('abort', onAbort));
    req.on('error', (e) => finish({ status: null, body: null, retryAfter: null, error: e.message }));
    req.end(payload);
  });
}

function isIpLiteral(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.startsWith('[');
}
