import type { EntityManager } from '@mikro-orm/postgresql';
import { WEBHOOK_LOG_CHANNEL, WEBHOOK_MAX_ATTEMPTS } from '../../shared/webhooks.js';
import type { WebhookDeliveryDto, WebhookEndpointDto } from '../../shared/schemas/webhooks.js';
import { WEBHOOK_WORK_CHANNEL } from '../events/webhook-fanout.js';

// SQL of webhook_endpoint and webhook_delivery: the page's reads and writes, and the worker's
// claim / record statements. Every worker mark applies only while the row is still this worker's
// (same attempt, pending).

export interface EndpointRow {
  id: string;
  url: string;
  description: string;
  event_types: string[];
  enabled: boolean;
  disabled_reason: string | null;
  secret_enc: string;
  previous_secret_enc: string | null;
  previous_secret_expires_at: Date | null;
  failing_since: Date | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

export async function listEndpoints(em: EntityManager, now: Date): Promise<WebhookEndpointDto[]> {
  const rows = await em.execute<(EndpointRow & { pending: string; succeeded: string; failed: string; last_delivery_at: Date | null })[]>(
    `select e.*,
            (select count(*) from webhook_delivery d where d.endpoint_id = e.id and d.status = 'pending') as pending,
            (select count(*) from webhook_delivery d where d.endpoint_id = e.id and d.status = 'succeeded') as succeeded,
            (select count(*) from webhook_delivery d where d.endpoint_id = e.id and d.status = 'failed') as failed,
            (select max(d.last_attempt_at) from webhook_delivery d where d.endpoint_id = e.id) as last_delivery_at
       from webhook_endpoint e order by e.created_at, e.id`,
  );
  return rows.map((r) => endpointDto(r, now, { pending: Number(r.pending), succeeded: Number(r.succeeded), failed: Number(r.failed) }, r.last_delivery_at));
}

export async function getEndpoint(em: EntityManager, id: string, now: Date): Promise<WebhookEndpointDto | null> {
  const all = await listEndpoints(em, now);
  return all.find((e) => e.id === id) ?? null;
}

export async function endpointRow(em: EntityManager, id: string, forUpdate = false): Promise<EndpointRow | null> {
  const rows = await em.execute<EndpointRow[]>(`select * from webhook_endpoint where id = ?${forUpdate ? ' for update' : ''}`, [id]);
  return rows[0] ?? null;
}

function endpointDto(r: EndpointRow, now: Date, counts: WebhookEndpointDto['counts'], lastDeliveryAt: Date | null): WebhookEndpointDto {
  const grace = r.previous_secret_expires_at && new Date(r.previous_secret_expires_at) > now ? iso(r.previous_secret_expires_at) : null;
  return {
    id: r.id,
    url: r.url,
    description: r.description,
    eventTypes: r.event_types,
    enabled: r.enabled,
    disabledReason: r.disabled_reason,
    previousSecretValidUntil: grace,
    failingSince: iso(r.failing_since),
    version: r.version,
    createdAt: iso(r.created_at)!,
    updatedAt: iso(r.updated_at)!,
    counts,
    lastDeliveryAt: iso(lastDeliveryAt),
  };
}

export async function insertEndpoint(
  tx: EntityManager,
  e: { id: string; url: string; description: string; eventTypes: string[]; enabled: boolean; secretEnc: string; createdById: string },
): Promise<void> {
  await tx.execute(
    `insert into webhook_endpoint (id, url, description, event_types, enabled, secret_enc, created_by_id, version, created_at, updated_at)
     values (?, ?, ?, ?::jsonb, ?, ?, ?, 1, now(), now())`,
    [e.id, e.url, e.description, JSON.stringify(e.eventTypes), e.enabled, e.secretEnc, e.createdById],
  );
}

export async function updateEndpointRow(
  tx: EntityManager,
  id: string,
  set: { url: string; description: string; eventTypes: string[]; enabled: boolean; disabledReason: string | null; failingSince: Date | null },
): Promise<void> {
  await tx.execute(
    `update webhook_endpoint set url = ?, description = ?, event_types = ?::jsonb, enabled = ?, disabled_reason = ?, failing_since = ?,
            version = version + 1, updated_at = now() where id = ?`,
    [set.url, set.description, JSON.stringify(set.eventTypes), set.enabled, set.disabledReason, set.failingSince, id],
  );
}

export async function rotateEndpointSecret(tx: EntityManager, id: string, secretEnc: string, previousEnc: string, previousUntil: Date): Promise<void> {
  await tx.execute(
    `update webhook_endpoint set secret_enc = ?, previous_secret_enc = ?, previous_secret_expires_at = ?, version = version + 1, updated_at = now() where id = ?`,
    [secretEnc, previousEnc, previousUntil, id],
  );
}

export async function deleteEndpointRow(tx: EntityManager, id: string): Promise<boolean> {
  const rows = await tx.execute<{ id: string }[]>(`delete from webhook_endpoint where id = ? returning id`, [id]);
  return rows.length > 0;
}

export async function countEndpoints(em: EntityManager): Promise<number> {
  const rows = await em.execute<{ n: string }[]>(`select count(*) as n from webhook_endpoint`);
  return Number(rows[0]?.n ?? 0);
}

/** Wakes the workers (on commit) and tells the pages watching this endpoint's log. */
export async function notifyDeliveries(tx: EntityManager, endpointId: string, work: boolean): Promise<void> {
  if (work) await tx.execute('select pg_notify(?, ?)', [WEBHOOK_WORK_CHANNEL, '']);
  await tx.execute('select pg_notify(?, ?)', [WEBHOOK_LOG_CHANNEL, endpointId]);
}

interface DeliveryRow {
  id: string;
  endpoint_id: string;
  message_id: string;
  event_id: string | null;
  event_type: string;
  status: WebhookDeliveryDto['status'];
  attempts: number;
  max_attempts: number;
  response_status: number | null;
  response_body: string | null;
  latency_ms: number | null;
  last_error: string | null;
  next_attempt_at: Date;
  last_attempt_at: Date | null;
  replay_of: string | null;
  created_at: Date;
}

const DELIVERY_COLUMNS = `id, endpoint_id, message_id, event_id, event_type, status, attempts, max_attempts, response_status, response_body, latency_ms,
  last_error, next_attempt_at, last_attempt_at, replay_of, created_at`;

function deliveryDto(r: DeliveryRow): WebhookDeliveryDto {
  return {
    id: Number(r.id),
    endpointId: r.endpoint_id,
    messageId: r.message_id,
    eventId: r.event_id === null ? null : Number(r.event_id),
    eventType: r.event_type,
    status: r.status,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    responseStatus: r.response_status,
    responseBody: r.response_body,
    latencyMs: r.latency_ms,
    error: r.last_error,
    nextAttemptAt: r.status === 'pending' ? iso(r.next_attempt_at) : null,
    lastAttemptAt: iso(r.last_attempt_at),
    replayOf: r.replay_of === null ? null : Number(r.replay_of),
    createdAt: iso(r.created_at)!,
  };
}

/** The endpoint's delivery log, newest first, keyset pages by id. */
export async function listDeliveries(
  em: EntityManager,
  q: { endpointId: string; status: 'all' | WebhookDeliveryDto['status']; cursor?: number | null | undefined; limit: number },
): Promise<{ items: WebhookDeliveryDto[]; nextCursor: number | null }> {
  const rows = await em.execute<DeliveryRow[]>(
    `select ${DELIVERY_COLUMNS} from webhook_delivery
      where endpoint_id = ? and (?::text = 'all' or status = ?) and (?::bigint is null or id < ?)
      order by id desc limit ?`,
    [q.endpointId, q.status, q.status, q.cursor ?? null, q.cursor ?? null, q.limit + 1],
  );
  const items = rows.slice(0, q.limit).map(deliveryDto);
  return { items, nextCursor: rows.length > q.limit ? items[items.length - 1]!.id : null };
}

export async function getDelivery(em: EntityManager, id: number): Promise<WebhookDeliveryDto | null> {
  const rows = await em.execute<DeliveryRow[]>(`select ${DELIVERY_COLUMNS} from webhook_delivery where id = ?`, [id]);
  return rows[0] ? deliveryDto(rows[0]) : null;
}

/** A new delivery of a test message (not a domain event). */
export async function insertTestDelivery(tx: EntityManager, endpointId: string, payload: Record<string, unknown>): Promise<number> {
  const rows = await tx.execute<{ id: string }[]>(
    `insert into webhook_delivery (endpoint_id, message_id, event_id, event_type, user_id, payload, status, attempts, max_attempts, next_attempt_at, created_at, updated_at)
     values (?, 'msg_' || replace(gen_random_uuid()::text, '-', ''), null, ?, null, ?::jsonb, 'pending', 0, ${WEBHOOK_MAX_ATTEMPTS}, now(), now(), now())
     returning id`,
    [endpointId, String(payload.type), JSON.stringify(payload)],
  );
  return Number(rows[0]!.id);
}

/**
 * Replays: each listed delivery is copied into a new pending row with the same message_id (so the
 * receiver sees the same webhook-id) and payload. Returns the new ids.
 */
export async function insertReplays(tx: EntityManager, ids: number[]): Promise<number[]> {
  if (ids.length === 0) return [];
  const rows = await tx.execute<{ id: string }[]>(
    `insert into webhook_delivery (endpoint_id, message_id, event_id, event_type, user_id, payload, status, attempts, max_attempts, next_attempt_at, replay_of, created_at, updated_at)
     select endpoint_id, message_id, event_id, event_type, user_id, payload, 'pending', 0, ${WEBHOOK_MAX_ATTEMPTS}, now(), id, now(), now()
       from webhook_delivery where id = any(?::bigint[]) order by id
     returning id`,
    [`{${ids.join(',')}}`],
  );
  return rows.map((r) => Number(r.id));
}

/** Failed deliveries of the endpoint created at or after `since` whose message was not delivered by a later replay. */
export async function failedSince(tx: EntityManager, endpointId: string, since: Date, limit: number): Promise<number[]> {
  const rows = await tx.execute<{ id: string }[]>(
    `select d.id from webhook_delivery d
      where d.endpoint_id = ? and d.status = 'failed' and d.created_at >= ?
        and not exists (select 1 from webhook_delivery r where r.endpoint_id = d.endpoint_id and r.message_id = d.message_id and r.id > d.id)
      order by d.id limit ?`,
    [endpointId, since, limit],
  );
  return rows.map((r) => Number(r.id));
}

// ---------------------------------------------------------------------------------------------
// The worker

export interface ClaimedDelivery {
  id: string;
  endpoint_id: string;
  message_id: string;
  event_type: string;
  payload: Record<string, unknown>;
  attempts: number;
  max_attempts: number;
  url: string;
  secret_enc: string;
  previous_secret_enc: string | null;
  previous_secret_expires_at: Date | null;
}

/**
 * Claims due deliveries of enabled endpoints under a lease, counting an attempt on each.
 *
 * First attempts go out in event order per endpoint: a row never tried yet is claimable only when
 * no older row of its endpoint is still waiting for (or in) its first attempt. A row already tried
 * (retrying) blocks nothing, so one failing message does not hold back the later ones.
 * FOR UPDATE SKIP LOCKED and the lease make this safe across processes; a claim whose process
 * died is free again when its lease runs out (only that in-flight delivery is sent twice).
 */
export async function claimDueDeliveries(em: EntityManager, now: Date, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
  return em.execute<ClaimedDelivery[]>(
    `with due as (
       select d.id from webhook_delivery d
         join webhook_endpoint e on e.id = d.endpoint_id and e.enabled
        where d.status = 'pending' and d.next_attempt_at <= ? and (d.locked_until is null or d.locked_until <= ?)
          and (d.last_attempt_at is not null or not exists (
                select 1 from webhook_delivery p
                 where p.endpoint_id = d.endpoint_id and p.id < d.id and p.status = 'pending' and p.last_attempt_at is null))
        order by d.id
        limit ?
        for update of d skip locked
     )
     update webhook_delivery w
        set locked_until = ?, attempts = w.attempts + 1, updated_at = ?
       from due, webhook_endpoint e
      where w.id = due.id and e.id = w.endpoint_id
     returning w.id, w.endpoint_id, w.message_id, w.event_type, w.payload, w.attempts, w.max_attempts,
               e.url, e.secret_enc, e.previous_secret_enc, e.previous_secret_expires_at`,
    [now, now, limit, new Date(now.getTime() + leaseMs), now],
  );
}

/**
 * The delivery queue for metrics: pending deliveries of enabled endpoints (a paused endpoint's wait
 * for the admin, not for the worker), and the age of the oldest one due (0 when none). Uses the
 * pending partial index.
 */
export async function webhookBacklog(em: EntityManager): Promise<{ pending: number; oldestDueAgeS: number }> {
  const rows = await em.execute<{ pending: string; oldest_due_age_s: string | null }[]>(
    `select count(*) as pending,
            extract(epoch from now() - min(d.next_attempt_at) filter (where d.next_attempt_at <= now())) as oldest_due_age_s
       from webhook_delivery d join webhook_endpoint e on e.id = d.endpoint_id and e.enabled
      where d.status = 'pending'`,
  );
  return { pending: Number(rows[0]?.pending ?? 0), oldestDueAgeS: Math.max(0, Number(rows[0]?.oldest_due_age_s ?? 0)) };
}

export interface AttemptRecord {
  status: 'succeeded' | 'failed' | 'pending';
  nextAttemptAt: Date | null;
  responseStatus: number | null;
  responseBody: string | null;
  latencyMs: number;
  error: string | null;
}

/** Records one attempt's outcome; false when the row was no longer this worker's. */
export async function recordAttempt(tx: EntityManager, row: ClaimedDelivery, now: Date, r: AttemptRecord): Promise<boolean> {
  const owned = await tx.execute<{ id: string }[]>(
    `update webhook_delivery
        set status = ?, next_attempt_at = coalesce(?, next_attempt_at), locked_until = null, last_attempt_at = ?,
            response_status = ?, response_body = ?, latency_ms = ?, last_error = ?, updated_at = ?
      where id = ? and status = 'pending' and attempts = ?
      returning id`,
    [r.status, r.nextAttemptAt, now, r.responseStatus, r.responseBody, r.latencyMs, r.error, now, row.id, row.attempts],
  );
  return owned.length > 0;
}

/** The endpoint answered well: it is not failing any more. */
export async function markEndpointHealthy(tx: EntityManager, endpointId: string): Promise<void> {
  await tx.execute(`update webhook_endpoint set failing_since = null where id = ? and failing_since is not null`, [endpointId]);
}

/** The endpoint failed: since when it has been failing (set now if it was healthy). */
export async function markEndpointFailing(tx: EntityManager, endpointId: string, now: Date): Promise<Date | null> {
  const rows = await tx.execute<{ failing_since: Date }[]>(
    `update webhook_endpoint set failing_since = coalesce(failing_since, ?) where id = ? and enabled returning failing_since`,
    [now, endpointId],
  );
  return rows[0] ? new Date(rows[0].failing_since) : null;
}

/** Disables the endpoint (410 Gone, failing too long); its waiting deliveries fail with the reason. Null when it was already disabled. */
export async function disableEndpoint(tx: EntityManager, endpointId: string, reason: string, now: Date): Promise<{ url: string } | null> {
  const rows = await tx.execute<{ url: string }[]>(
    `update webhook_endpoint set enabled = false, disabled_reason = ?, version = version + 1, updated_at = ? where id = ? and enabled returning url`,
    [reason, now, endpointId],
  );
  if (!rows[0]) return null;
  await tx.execute(
    `update webhook_delivery set status = 'failed', locked_until = null, last_error = coalesce(last_error || '; ', '') || ?, updated_at = ?
      where endpoint_id = ? and status = 'pending' and (locked_until is null or locked_until <= ?)`,
    [`endpoint disabled: ${reason}`, now, endpointId, now],
  );
  return rows[0];
}

/** Fails one waiting delivery whose endpoint was disabled while it was in flight. */
export async function failPendingDelivery(tx: EntityManager, id: string, reason: string, now: Date): Promise<void> {
  await tx.execute(
    `update webhook_delivery set status = 'failed', last_error = coalesce(last_error || '; ', '') || ?, updated_at = ? where id = ? and status = 'pending'`,
    [reason, now, id],
  );
}

export async function activeAdminRecipients(tx: EntityManager): Promise<{ id: string; email: string; first_name: string }[]> {
  return tx.execute(`select id, email, first_name from app_user where role = 'admin' and status = 'active' order by created_at`);
}

/** Start-up key rotation: every stored secret sealed with another key than the current one. */
export async function secretsToReseal(em: EntityManager): Promise<{ id: string; secret_enc: string; previous_secret_enc: string | null }[]> {
  return em.execute(`select id, secret_enc, previous_secret_enc from webhook_endpoint`);
}

export async function storeResealed(em: EntityManager, id: string, secretEnc: string, previousEnc: string | null): Promise<void> {
  await em.execute(`update webhook_endpoint set secret_enc = ?, previous_secret_enc = ? where id = ?`, [secretEnc, previousEnc, id]);
}
