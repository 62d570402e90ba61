import { EventEmitter } from 'node:events';
import type { AppServices } from '../app-services.js';
import { PgListener } from '../db/pg-listener.js';
import { WEBHOOK_LOG_CHANNEL } from '../../shared/webhooks.js';
import { secretBoxFromConfig, type SecretBox } from './secret-box.js';
import { hostResolver, type ResolveHost } from './ssrf.js';
import { createWebhookWorker, type WebhookWorker } from './worker.js';
import { countEndpoints, secretsToReseal, storeResealed } from './webhooks.repository.js';

/**
 * One per running app: the secret box, the delivery worker, and the LISTEN connection that tells
 * open Settings › Webhooks pages (their subscriptions) that a delivery log changed.
 */
export interface WebhookRuntime {
  /** null in production without APP_SECRET_KEY: webhooks are refused. */
  box: SecretBox | null;
  resolve: ResolveHost;
  allowedHosts: readonly string[];
  worker: WebhookWorker | null;
  /** Emits 'change' with the endpoint id whenever a delivery of it was queued or attempted (any process). */
  log: EventEmitter;
  stop(): Promise<void>;
}

const registry = new WeakMap<AppServices, WebhookRuntime>();

export class WebhookStartupError extends Error {
  override readonly name = 'WebhookStartupError';
}

export async function startWebhooks(app: AppServices, databaseUrl: string, opts: { resolve?: ResolveHost } = {}): Promise<WebhookRuntime> {
  const { config } = app;
  const box = secretBoxFromConfig(config);
  if (!box) {
    const n = await countEndpoints(app.em());
    if (n > 0) {
      throw new WebhookStartupError(
        `APP_SECRET_KEY is not set: ${n} webhook endpoint${n === 1 ? '' : 's'} cannot be signed (set the key they were sealed with; see README "Webhooks")`,
      );
    }
    app.log.warn('webhooks are off: APP_SECRET_KEY is not set (creating an endpoint is refused)');
  } else {
    if (!box.configured) app.log.info('webhook secrets use a development key in DATA_DIR (set APP_SECRET_KEY in production)');
    await resealSecrets(app, box);
  }
  const resolve = opts.resolve ?? hostResolver(config.webhooks.dnsServer);
  const log = new EventEmitter();
  log.setMaxListeners(0);
  const listener = new PgListener({
    databaseUrl,
    channel: WEBHOOK_LOG_CHANNEL,
    log: app.log,
    reconnect: { baseMs: 1000, maxMs: 30_000 },
    onNotification: (payload) => {
      if (payload) log.emit('change', payload);
    },
  });
  await listener.start({ retryFirst: true });
  const worker =
    box && config.webhooks.worker
      ? createWebhookWorker(app, { databaseUrl, box, resolve, allowedHosts: config.webhooks.allowedHosts, pollMs: config.webhooks.pollMs })
      : null;
  await worker?.start();
  const runtime: WebhookRuntime = {
    box,
    resolve,
    allowedHosts: config.webhooks.allowedHosts,
    worker,
    log,
    async stop() {
      registry.delete(app);
      await worker?.stop();
      await listener.stop();
    },
  };
  registry.set(app, runtime);
  return runtime;
}

export function webhooksOf(app: AppServices): WebhookRuntime {
  const r = registry.get(app);
  if (!r) throw new Error('webhooks are not running for this app');
  return r;
}

/**
 * Key rotation: re-seals every stored secret that another key (still listed in APP_SECRET_KEY)
 * sealed, with the current (first) key. Runs at start-up; once every process has restarted with
 * the new key first, the old one can be removed.
 */
export async function resealSecrets(app: AppServices, box: SecretBox): Promise<number> {
  let n = 0;
  for (const row of await secretsToReseal(app.em())) {
    const stale = (v: string | null) => v !== null && box.keyIdOf(v) !== box.currentKeyId;
    if (!stale(row.secret_enc) && !stale(row.previous_secret_enc)) continue;
    const reseal = (v: string | null) => (v === null ? null : stale(v) ? box.seal(box.open(v)) : v);
    await storeResealed(app.em(), row.id, reseal(row.secret_enc)!, reseal(row.previous_secret_enc));
    n++;
  }
  if (n > 0) app.log.info('webhook secrets re-sealed with the current APP_SECRET_KEY', { endpoints: n });
  return n;
}
