import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';

/**
 * Encrypts webhook signing secrets at rest: AES-256-GCM (node:crypto) under APP_SECRET_KEY.
 *
 * Stored form: `v1.<key id>.<iv>.<tag>.<ciphertext>` (base64url parts; a fresh 96-bit IV each
 * time; the key id is the first 8 hex digits of the key's SHA-256, so a value names the key that
 * sealed it). APP_SECRET_KEY may list several keys, comma-separated: the first seals, every one
 * opens. Rotation: put the new key first, restart (start-up re-seals every stored secret with it,
 * see resealSecrets), then drop the old key.
 */
export interface SecretBox {
  /** Whether the keys came from APP_SECRET_KEY (false: a development key in DATA_DIR). */
  readonly configured: boolean;
  readonly currentKeyId: string;
  seal(plain: string): string;
  open(sealed: string): string;
  keyIdOf(sealed: string): string | null;
}

export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

export function createSecretBox(keys: Buffer[], configured = true): SecretBox {
  if (keys.length === 0 || keys.some((k) => k.length !== 32)) throw new Error('secret box keys must be 32 bytes');
  const byId = new Map(keys.map((k) => [keyId(k), k] as const));
  const current = keys[0]!;
  const currentId = keyId(current);
  return {
    configured,
    currentKeyId: currentId,
    seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', current, iv);
      const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return ['v1', currentId, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
    },
    open(sealed) {
      const [v, id, iv, tag, data] = sealed.split('.');
      if (v !== 'v1' || !id || !iv || !tag || data === undefined) throw new Error('not a sealed secret');
      const key = byId.get(id);
      if (!key) throw new Error(`the secret was sealed with key ${id}, which APP_SECRET_KEY no longer lists`);
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
    },
    keyIdOf(sealed) {
      const parts = sealed.split('.');
      return parts[0] === 'v1' && parts[1] ? parts[1] : null;
    },
  };
}

/**
 * The app's secret box: APP_SECRET_KEY's keys; outside production without it, a random key kept
 * in DATA_DIR/app-secret.key (created once), so a fresh install works; in production without it,
 * null (webhooks are refused).
 */
export function secretBoxFromConfig(config: Pick<Config, 'webhooks' | 'production' | 'dataDir'>): SecretBox | null {
  if (config.webhooks.secretKeys) return createSecretBox(config.webhooks.secretKeys, true);
  if (config.production) return null;
  return createSecretBox([developmentKey(config.dataDir)], false);
}

function developmentKey(dataDir: string): Buffer {
  const file = join(dataDir, 'app-secret.key');
  try {
    return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  } catch {
    mkdirSync(dataDir, { recursive: true });
    try {
      // 'wx': two processes creating it at once keep the first one's key.
      writeFileSync(file, randomBytes(32).toString('base64') + '\n', { flag: 'wx', mode: 0o600 });
    } catch {
      /* created meanwhile by another process */
    }
    return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  }
}

/** The refusal when webhooks cannot work (production without APP_SECRET_KEY). */
export function noKeyError(): AppError {
  return new AppError(
    'SERVICE_UNAVAILABLE',
    'WEBHOOKS_UNAVAILABLE',
    'Webhooks need APP_SECRET_KEY on the server (it encrypts their signing secrets); ask the operator to set it',
  );
}

/** A new Standard Webhooks secret: `whsec_` and 32 random bytes in base64. */
export function newWebhookSecret(): string {
  return 'whsec_' + randomBytes(32).toString('base64');
}
