import type { EntityManager } from '@mikro-orm/postgresql';
import { query } from '../db/sql.js';
import type { SuppressionItem } from '../../shared/schemas/mail-safety.js';

// The suppression list's statements (email_suppression): addresses no email goes to, except the
// one the person asked for that moment (emails/templates.ts, EMAIL_DELIVERY_POLICY). Keyed by the
// lower-cased address, as app_user's email uniqueness is.

export async function suppressionOf(em: EntityManager, address: string): Promise<{ reason: string; source: string } | null> {
  const rows = await query<{ reason: string; source: string }>(em, `select reason, source from email_suppression where address = lower(?)`, [address]);
  return rows[0] ?? null;
}

/** suppressionOf for many addresses in one statement, keyed by the address as given. */
export async function suppressionsOf(em: EntityManager, addresses: readonly string[]): Promise<Map<string, { reason: string; source: string }>> {
  if (addresses.length === 0) return new Map();
  const rows = await query<{ address: string; reason: string; source: string }>(
    em,
    `select a.address, s.reason, s.source
       from (select distinct value as address from jsonb_array_elements_text(?::jsonb)) a
       join email_suppression s on s.address = lower(a.address)`,
    [JSON.stringify(addresses)],
  );
  return new Map(rows.map((r) => [r.address, { reason: r.reason, source: r.source }]));
}

/** Adds the address (a second add keeps the first reason). True when it was not on the list yet. */
export async function addSuppression(
  em: EntityManager,
  entry: { address: string; reason: string; source: 'admin' | 'bounce'; createdById: string | null },
): Promise<boolean> {
  const rows = await query<{ address: string }>(
    em,
    `insert into email_suppression (address, reason, source, created_by_id, created_at) values (lower(?), ?, ?, ?, now())
     on conflict (address) do nothing returning address`,
    [entry.address, entry.reason.slice(0, 1000), entry.source, entry.createdById],
  );
  return rows.length > 0;
}

export async function removeSuppression(em: EntityManager, address: string): Promise<boolean> {
  const rows = await query<{ address: string }>(em, `delete from email_suppression where address = lower(?) returning address`, [address]);
  return rows.length > 0;
}

export async function listSuppressions(em: EntityManager): Promise<SuppressionItem[]> {
  const rows = await query<{ address: string; reason: string; source: 'admin' | 'bounce'; created_at: Date }>(
    em,
    `select address, reason, source, created_at from email_suppression order by created_at desc, address limit 1000`,
  );
  return rows.map((r) => ({ address: r.address, reason: r.reason, source: r.source, createdAt: new Date(r.created_at).toISOString() }));
}

/**
 * A permanent refusal of the recipient itself: a 5xx reply to RCPT TO (nodemailer reports it as
 * EENVELOPE with command 'RCPT TO'). A 5xx to MAIL FROM or DATA says nothing about the address.
 */
export function isRecipientBounce(e: unknown): boolean {
  const err = e as { command?: unknown; responseCode?: unknown } | null;
  return err?.command === 'RCPT TO' && typeof err.responseCode === 'number' && err.responseCode >= 500 && err.responseCode < 600;
}
