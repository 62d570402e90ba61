import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import type { AppServices } from '../app-services.js';
import type { SessionUser } from '../../shared/schemas/auth.js';
import type { FieldChange } from '../../shared/events.js';
import type { CreateWebhookInput, UpdateWebhookInput, WebhookDeliveryDto, WebhookEndpointDto } from '../../shared/schemas/webhooks.js';
import { WEBHOOK_ROTATION_GRACE_MS, WEBHOOK_TEST_TYPE } from '../../shared/webhooks.js';
import { AppError } from '../errors.js';
import { appendEvent } from '../events/append.js';
import { notifyAdminsOfNewCredential } from '../mail/admin-notices.js';
import { newWebhookSecret, noKeyError } from './secret-box.js';
import { webhooksOf } from './runtime.js';
import { addressProblem } from './ssrf.js';
import {
  deleteEndpointRow,
  endpointRow,
  failedSince,
  getDelivery,
  getEndpoint,
  insertEndpoint,
  insertReplays,
  insertTestDelivery,
  listDeliveries,
  listEndpoints,
  notifyDeliveries,
  rotateEndpointSecret,
  updateEndpointRow,
} from './webhooks.repository.js';

// Settings › Webhooks: the use cases. Each owns its transaction; the secret is returned once (on
// creation and rotation) and stored only sealed (secret-box.ts).

/** The most deliveries one "replay all failed since" queues. */
export const REPLAY_FAILED_MAX = 1000;

function notFound(): AppError {
  return new AppError('NOT_FOUND', 'NOT_FOUND', 'This webhook endpoint no longer exists');
}

/**
 * Early feedback for an address that can never be reached: an IP literal the SSRF guard refuses
 * (names are checked when connecting, since what they resolve to can change).
 */
function refuseLiteralAddress(app: AppServices, url: string): void {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (!isIP(host) || webhooksOf(app).allowedHosts.includes(host)) return;
  const problem = addressProblem(host);
  if (problem) {
    const message = `${problem}: webhooks cannot be sent there`;
    throw new AppError('BAD_REQUEST', 'WEBHOOK_ADDRESS_REFUSED', message, { fieldErrors: { url: message } });
  }
}

function boxOrRefuse(app: AppServices) {
  const box = webhooksOf(app).box;
  if (!box) throw noKeyError();
  return box;
}

export async function listWebhooks(app: AppServices): Promise<{ items: WebhookEndpointDto[]; secretKeyConfigured: boolean }> {
  return { items: await listEndpoints(app.em(), app.clock.now()), secretKeyConfigured: webhooksOf(app).box !== null };
}

export async function getWebhook(app: AppServices, id: string): Promise<WebhookEndpointDto> {
  const e = await getEndpoint(app.em(), id, app.clock.now());
  if (!e) throw notFound();
  return e;
}

export async function createWebhook(
  app: AppServices,
  actor: SessionUser,
  input: CreateWebhookInput,
): Promise<{ endpoint: WebhookEndpointDto; secret: string }> {
  const box = boxOrRefuse(app);
  refuseLiteralAddress(app, input.url);
  const secret = newWebhookSecret();
  const id = randomUUID();
  await app.em().transactional(async (tx) => {
    await insertEndpoint(tx, {
      id,
      url: input.url,
      description: input.description,
      eventTypes: input.eventTypes,
      enabled: input.enabled,
      secretEnc: box.seal(secret),
      createdById: actor.id,
    });
    await appendEvent(tx, 'webhook.created', { endpoint: { id, url: input.url }, eventTypes: input.eventTypes, enabled: input.enabled }, { actorId: actor.id });
    // Every admin hears of a new endpoint (it receives the portal's data), in this same transaction.
    await notifyAdminsOfNewCredential(tx, { kind: 'webhook', name: input.description || input.url, actorId: actor.id });
  });
  return { endpoint: await getWebhook(app, id), secret };
}

export async function updateWebhook(app: AppServices, actor: SessionUser, input: UpdateWebhookInput): Promise<WebhookEndpointDto> {
  if (input.url !== undefined) refuseLiteralAddress(app, input.url);
  await app.em().transactional(async (tx) => {
    const row = await endpointRow(tx, input.id, true);
    if (!row) throw notFound();
    if (row.version !== input.version) {
      throw new AppError('CONFLICT', 'CONFLICT', 'Someone else changed this endpoint meanwhile; reload to see their changes', {
        details: { version: row.version },
      });
    }
    const next = {
      url: input.url ?? row.url,
      description: input.description ?? row.description,
      eventTypes: input.eventTypes ?? row.event_types,
      enabled: input.enabled ?? row.enabled,
    };
    const changes: Record<string, FieldChange> = {};
    if (next.url !== row.url) changes.url = { from: row.url, to: next.url };
    if (next.description !== row.description) changes.description = { from: row.description, to: next.description };
    if (JSON.stringify(next.eventTypes) !== JSON.stringify(row.event_types)) changes.eventTypes = { from: row.event_types, to: next.eventTypes };
    if (next.enabled !== row.enabled) changes.enabled = { from: row.enabled, to: next.enabled };
    if (Object.keys(changes).length === 0) return;
    // Enabling again starts afresh: no reason shown, and the 5-day failure count restarts.
    const reenabled = next.enabled && !row.enabled;
    await updateEndpointRow(tx, row.id, {
      ...next,
      disabledReason: next.enabled ? null : reenabled ? null : row.disabled_reason,
      failingSince: reenabled ? null : row.failing_since,
    });
    await appendEvent(tx, 'webhook.updated', { endpoint: { id: row.id, url: next.url }, changes }, { actorId: actor.id });
    // Waiting deliveries may go out now (or, disabled, must show it).
    await notifyDeliveries(tx, row.id, reenabled);
  });
  return getWebhook(app, input.id);
}

export async function deleteWebhook(app: AppServices, actor: SessionUser, id: string): Promise<void> {
  await app.em().transactional(async (tx) => {
    const row = await endpointRow(tx, id, true);
    if (!row) throw notFound();
    await deleteEndpointRow(tx, id);
    await appendEvent(tx, 'webhook.deleted', { endpoint: { id, url: row.url } }, { actorId: actor.id });
  });
}

/**
 * A new secret; the previous one keeps signing (a second signature in webhook-signature) for 24
 * hours, so receivers can switch without losing a message. Rotating again within the grace period
 * replaces the previous secret with the one being rotated out.
 */
export async function rotateWebhookSecret(app: AppServices, actor: SessionUser, id: string): Promise<{ secret: string; previousSecretValidUntil: string }> {
  const box = boxOrRefuse(app);
  const secret = newWebhookSecret();
  const until = new Date(app.clock.now().getTime() + WEBHOOK_ROTATION_GRACE_MS);
  await app.em().transactional(async (tx) => {
    const row = await endpointRow(tx, id, true);
    if (!row) throw notFound();
    await rotateEndpointSecret(tx, id, box.seal(secret), row.secret_enc, until);
    await appendEvent(tx, 'webhook.secret_rotated', { endpoint: { id, url: row.url }, previousValidUntil: until.toISOString() }, { actorId: actor.id });
  });
  return { secret, previousSecretValidUntil: until.toISOString() };
}

/** "Send test event": one delivery of type webhook.test to this endpoint, whatever its event types. */
export async function sendTestEvent(app: AppServices, actor: SessionUser, id: string): Promise<WebhookDeliveryDto> {
  boxOrRefuse(app);
  const deliveryId = await app.em().transactional(async (tx) => {
    const row = await endpointRow(tx, id);
    if (!row) throw notFound();
    if (!row.enabled) throw new AppError('CONFLICT', 'CONFLICT', 'Enable the endpoint before sending a test event');
    const payload = {
      type: WEBHOOK_TEST_TYPE,
      timestamp: app.clock.now().toISOString(),
      data: { endpointId: id, sentBy: actor.id, message: 'A test event from Settings › Webhooks' },
    };
    const deliveryId = await insertTestDelivery(tx, id, payload);
    await notifyDeliveries(tx, id, true);
    return deliveryId;
  });
  return (await getDelivery(app.em(), deliveryId))!;
}

export async function webhookDeliveries(app: AppServices, q: Parameters<typeof listDeliveries>[1]) {
  if (!(await endpointRow(app.em(), q.endpointId))) throw notFound();
  return listDeliveries(app.em(), q);
}

/** Sends one delivery again as a new delivery with the same webhook-id and payload. */
export async function replayDelivery(app: AppServices, actor: SessionUser, deliveryId: number): Promise<WebhookDeliveryDto> {
  boxOrRefuse(app);
  const id = await app.em().transactional(async (tx) => {
    const original = await getDelivery(tx, deliveryId);
    if (!original) throw new AppError('NOT_FOUND', 'NOT_FOUND', 'This delivery no longer exists');
    const endpoint = await endpointRow(tx, original.endpointId, true);
    if (!endpoint) throw notFound();
    if (!endpoint.enabled) throw new AppError('CONFLICT', 'CONFLICT', 'Enable the endpoint before replaying its deliveries');
    const [id] = await insertReplays(tx, [deliveryId]);
    await appendEvent(tx, 'webhook.replayed', { endpoint: { id: endpoint.id, url: endpoint.url }, deliveries: 1 }, { actorId: actor.id });
    await notifyDeliveries(tx, endpoint.id, true);
    return id!;
  });
  return (await getDelivery(app.em(), id))!;
}

/** Replays every delivery of the endpoint that failed for good since `since` (and was not replayed already), oldest first. */
export async function replayFailedSince(app: AppServices, actor: SessionUser, input: { endpointId: string; since: string }): Promise<{ replayed: number }> {
  boxOrRefuse(app);
  return app.em().transactional(async (tx) => {
    const endpoint = await endpointRow(tx, input.endpointId, true);
    if (!endpoint) throw notFound();
    if (!endpoint.enabled) throw new AppError('CONFLICT', 'CONFLICT', 'Enable the endpoint before replaying its deliveries');
    const ids = await failedSince(tx, endpoint.id, new Date(input.since), REPLAY_FAILED_MAX);
    if (ids.length === 0) return { replayed: 0 };
    await insertReplays(tx, ids);
    await appendEvent(tx, 'webhook.replayed', { endpoint: { id: endpoint.id, url: endpoint.url }, deliveries: ids.length }, { actorId: actor.id });
    await notifyDeliveries(tx, endpoint.id, true);
    return { replayed: ids.length };
  });
}
