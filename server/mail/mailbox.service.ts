import type { AppServices } from '../app-services.js';
import { AppError } from '../errors.js';
import { SECRET_VARIABLES } from '../../emails/templates.js';
import { OUTBOX_CHANNEL } from './outbox.js';
import { appendEvent } from '../events/append.js';
import { redactText } from '../logger.js';
import type { MailboxListItem, OutboxItem } from '../../shared/schemas/mail.js';
import type { MailboxMessageView } from '../../shared/schemas/mail-safety.js';

/** Who is reading the mailbox: each admin sees the mail addressed to them in full. */
export interface MailboxViewer {
  id: string;
  email: string;
}

const addressedTo = (viewer: MailboxViewer, to: string) => to.toLowerCase() === viewer.email.toLowerCase();

/**
 * Hides the one-time links (reset, invite, verification tokens: token-like query or fragment
 * parameters and token path segments, as the log redaction knows them) of a text, and counts them.
 */
function hideLinks(text: string, hidden: Set<string>): string {
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi, (url) => {
    const safe = redactText(url);
    if (safe !== url) hidden.add(url.replace(/&amp;/g, '&'));
    return safe;
  });
}

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

export function transportKind(app: AppServices): 'smtp' | 'mailbox' {
  return app.config.smtpUrl ? 'smtp' : 'mailbox';
}

/** The built-in mailbox, newest first, `limit` at a time (keyset on id); search matches recipient or subject. */
export async function listMailbox(
  app: AppServices,
  viewer: MailboxViewer,
  input: { cursor?: number | null; limit: number; search?: string | undefined },
): Promise<{ items: MailboxListItem[]; nextCursor: number | null }> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (input.cursor) {
    where.push('id < ?');
    params.push(input.cursor);
  }
  if (input.search) {
    const like = `%${input.search.replace(/[\\%_]/g, (c) => '\\' + c)}%`;
    where.push('(to_address ilike ? or subject ilike ?)');
    params.push(like, like);
  }
  const rows = await app.em().execute<{ id: string; template: string; from_address: string; to_address: string; subject: string; created_at: Date }[]>(
    `select id, template, from_address, to_address, subject, created_at from mailbox_message
      ${where.length ? 'where ' + where.join(' and ') : ''} order by id desc limit ?`,
    [...params, input.limit + 1],
  );
  const page = rows.slice(0, input.limit);
  return {
    items: page.map((r) => ({
      id: Number(r.id),
      template: r.template,
      from: r.from_address,
      to: r.to_address,
      subject: addressedTo(viewer, r.to_address) ? r.subject : hideLinks(r.subject, new Set()),
      createdAt: iso(r.created_at)!,
    })),
    nextCursor: rows.length > input.limit ? Number(page[page.length - 1]!.id) : null,
  };
}

/**
 * One kept email. Addressed to the viewer: in full. Addressed to anyone else: its one-time links
 * are hidden (they never reach the browser) until the viewer reveals them (revealMailboxMessage).
 */
export async function getMailboxMessage(app: AppServices, viewer: MailboxViewer, id: number): Promise<MailboxMessageView> {
  const full = await readMailboxMessage(app, id);
  if (addressedTo(viewer, full.to)) return full;
  const hidden = new Set<string>();
  const view = { ...full, subject: hideLinks(full.subject, hidden), html: hideLinks(full.html, hidden), text: hideLinks(full.text, hidden) };
  return { ...view, hiddenLinks: hidden.size };
}

/** "Reveal link": the email in full, and a mail.link_revealed event naming the admin and the message. */
export async function revealMailboxMessage(app: AppServices, viewer: MailboxViewer, id: number): Promise<MailboxMessageView> {
  const full = await readMailboxMessage(app, id);
  if (addressedTo(viewer, full.to)) return full;
  await app
    .em()
    .transactional((tx) =>
      appendEvent(tx, 'mail.link_revealed', { messageId: full.id, template: full.template, to: full.to, adminId: viewer.id }, { actorId: viewer.id }),
    );
  app.log.info('mailbox links revealed', { adminId: viewer.id, mailboxId: full.id, template: full.template });
  return full;
}

async function readMailboxMessage(app: AppServices, id: number): Promise<MailboxMessageView> {
  const rows = await app.em().execute<
    {
      id: string;
      outbox_id: string | null;
      template: string;
      from_address: string;
      to_address: string;
      subject: string;
      html: string;
      text: string;
      created_at: Date;
    }[]
  >(`select id, outbox_id, template, from_address, to_address, subject, html, text, created_at from mailbox_message where id = ?`, [id]);
  const r = rows[0];
  if (!r) throw new AppError('NOT_FOUND', 'NOT_FOUND', 'This email is no longer in the mailbox');
  return {
    id: Number(r.id),
    outboxId: r.outbox_id === null ? null : Number(r.outbox_id),
    template: r.template,
    from: r.from_address,
    to: r.to_address,
    subject: r.subject,
    html: r.html,
    text: r.text,
    createdAt: iso(r.created_at)!,
    hiddenLinks: 0,
  };
}

const carriesSecret = (template: string) => ((SECRET_VARIABLES as Record<string, string[]>)[template] ?? []).length > 0;

/** Outbox rows (every transport), newest first, with per-status counts. */
export async function listOutbox(
  app: AppServices,
  input: { status: OutboxItem['status'] | 'all'; cursor?: number | null; limit: number },
): Promise<{ items: OutboxItem[]; nextCursor: number | null; counts: { pending: number; sent: number; failed: number; suppressed: number } }> {
  const em = app.em();
  const where: string[] = [];
  const params: unknown[] = [];
  if (input.status !== 'all') {
    where.push('status = ?');
    params.push(input.status);
  }
  if (input.cursor) {
    where.push('id < ?');
    params.push(input.cursor);
  }
  const [rows, counts] = await Promise.all([
    em.execute<
      {
        id: string;
        template: string;
        to_address: string;
        status: OutboxItem['status'];
        attempts: number;
        max_attempts: number;
        subject: string | null;
        last_error: string | null;
        next_attempt_at: Date;
        sent_at: Date | null;
        created_at: Date;
      }[]
    >(
      `select id, template, to_address, status, attempts, max_attempts, subject, last_error, next_attempt_at, sent_at, created_at from email_outbox
        ${where.length ? 'where ' + where.join(' and ') : ''} order by id desc limit ?`,
      [...params, input.limit + 1],
    ),
    em.execute<{ status: string; n: string }[]>(`select status, count(*) as n from email_outbox group by status`),
  ]);
  const page = rows.slice(0, input.limit);
  const count = (s: string) => Number(counts.find((c) => c.status === s)?.n ?? 0);
  return {
    items: page.map((r) => ({
      id: Number(r.id),
      template: r.template,
      to: r.to_address,
      status: r.status,
      attempts: r.attempts,
      maxAttempts: r.max_attempts,
      subject: r.subject,
      lastError: r.last_error,
      nextAttemptAt: iso(r.next_attempt_at)!,
      sentAt: iso(r.sent_at),
      createdAt: iso(r.created_at)!,
      retryable: r.status === 'failed' && !carriesSecret(r.template),
    })),
    nextCursor: rows.length > input.limit ? Number(page[page.length - 1]!.id) : null,
    counts: { pending: count('pending'), sent: count('sent'), failed: count('failed'), suppressed: count('suppressed') },
  };
}

/**
 * Puts a failed email back in the queue for a fresh series of tries. Emails that carried a one-time
 * link cannot come back: the link was discarded with the failure, so the flow must issue a new one.
 */
export async function retryOutboxRow(app: AppServices, id: number): Promise<void> {
  await app.em().transactional(async (tx) => {
    const rows = await tx.execute<{ template: string; status: string }[]>(`select template, status from email_outbox where id = ? for update`, [id]);
    const row = rows[0];
    if (!row) throw new AppError('NOT_FOUND', 'NOT_FOUND', 'This email is not in the outbox');
    if (row.status !== 'failed')
      throw new AppError('CONFLICT', 'CONFLICT', row.status === 'sent' ? 'This email was already sent' : 'This email is already waiting to be sent');
    if (carriesSecret(row.template)) {
      throw new AppError(
        'BAD_REQUEST',
        'NOT_RETRYABLE',
        'This email carried a one-time link that was discarded when it failed. Send a new one instead (a new invite or password reset).',
      );
    }
    await tx.execute(
      `update email_outbox set status = 'pending', attempts = 0, next_attempt_at = ?, locked_until = null, last_error = null, updated_at = ? where id = ?`,
      [app.clock.now(), app.clock.now(), id],
    );
    await tx.execute('select pg_notify(?, ?)', [OUTBOX_CHANNEL, String(id)]);
  });
}
