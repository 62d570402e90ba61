import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AppServices } from '../app-services.js';
import { writeSecurityValueOnce } from './security.repository.js';

/** The setting holding the server secret: generated once, by whichever process needs it first. */
const SECRET_KEY = 'securitySecret' as const;

const cache = new WeakMap<object, Promise<string>>();

/**
 * The server's own secret (256 random bits in the settings table), shared by every process. Each
 * use derives its own key from it, so one key never signs two kinds of thing.
 */
export function serverSecret(app: Pick<AppServices, 'em'> & object): Promise<string> {
  let p = cache.get(app);
  if (!p) {
    p = writeSecurityValueOnce(app.em(), SECRET_KEY, randomBytes(32).toString('hex'));
    p.catch(() => cache.delete(app));
    cache.set(app, p);
  }
  return p;
}

export type KeyUse = 'altcha' | 'altcha-key' | 'form-token' | 'device-cookie';

export async function derivedKey(app: Pick<AppServices, 'em'> & object, use: KeyUse): Promise<string> {
  return createHmac('sha256', await serverSecret(app))
    .update(`admit:${use}`)
    .digest('hex');
}

export function hmacHex(key: string, value: string): string {
  return createHmac('sha256', key).update(value).digest('hex');
}

/** Constant-time comparison of two hex strings. */
export function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
