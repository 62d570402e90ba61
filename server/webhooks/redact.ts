import type { EntityManager } from '@mikro-orm/postgresql';

/** What a redacted value becomes in webhook payloads and response bodies. */
export const REDACTED = '[redacted]';

const PERSON_FIELDS = new Set(['email', 'firstName', 'lastName', 'name', 'ip', 'userAgent', 'to', 'address']);

/** Replaces the person's data in one JSON value: their snapshot's personal fields, and any string holding one of their addresses. */
function redactValue(v: unknown, userId: string, emails: string[]): unknown {
  if (typeof v === 'string') {
    const lower = v.toLowerCase();
    return emails.some((e) => lower.includes(e)) ? REDACTED : v;
  }
  if (Array.isArray(v)) return v.map((x) => redactValue(x, userId, emails));
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const isPerson = o.id === userId;
    return Object.fromEntries(
      Object.entries(o).map(([k, x]) => [k, isPerson && PERSON_FIELDS.has(k) && typeof x === 'string' ? REDACTED : redactValue(x, userId, emails)]),
    );
  }
  return v;
}

/**
 * Forget (GDPR erasure), webhook part: in every delivery about the person (user_id) or carrying
 * one of their addresses, their email, names, IP and user agent become "[redacted]", keeping the
 * skeleton (type, ids, timestamps, statuses). A response body that mentions an address is dropped.
 * Runs in the caller's transaction; a delivery not yet sent goes out redacted. Returns how many
 * rows changed.
 */
export async function redactWebhookDeliveriesFor(em: EntityManager, person: { userId: string; emails: string[] }): Promise<number> {
  const emails = [...new Set(person.emails.map((e) => e.trim().toLowerCase()).filter(Boolean))];
  const patterns = emails.map((e) => `%${e.replace(/[\\%_]/g, (c) => '\\' + c)}%`);
  const rows = await em.execute<{ id: string; payload: unknown; response_body: string | null }[]>(
    `select id, payload, response_body from webhook_delivery
      where user_id = ? or payload::text ilike any(?::text[]) or response_body ilike any(?::text[])
      for update`,
    [person.userId, `{${patterns.map((p) => JSON.stringify(p)).join(',')}}`, `{${patterns.map((p) => JSON.stringify(p)).join(',')}}`],
  );
  let changed = 0;
  for (const r of rows) {
    const payload = redactValue(r.payload, person.userId, emails);
    const body = r.response_body !== null && emails.some((e) => r.response_body!.toLowerCase().includes(e)) ? null : r.response_body;
    if (JSON.stringify(payload) === JSON.stringify(r.payload) && body === r.response_body) continue;
    await em.execute(`update webhook_delivery set payload = ?::jsonb, response_body = ?, updated_at = now() where id = ?`, [
      JSON.stringify(payload),
      body,
      r.id,
    ]);
    changed++;
  }
  return changed;
}
