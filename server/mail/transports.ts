import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import { mailLinksInLog, parseMailFrom, type Config } from '../config.js';
import { liveLinks, type Logger } from '../logger.js';
import type { AllSettings } from '../../shared/schemas/settings.js';
import { headerSafe } from './renderer.js';

export interface MailAddress {
  name: string;
  address: string;
}

/** One rendered email, ready for a transport. */
export interface OutgoingEmail {
  outboxId: number | null;
  /** The stable Message-ID of the outbox row (worker.ts outboxMessageId); the same on every try. */
  messageId?: string;
  template: string;
  from: MailAddress;
  to: string;
  subject: string;
  html: string;
  text: string;
  links: string[];
}

/**
 * SMTP sends on its own (outside any transaction). The built-in mailbox stores the message in the
 * same transaction that marks the outbox row sent, so it delivers exactly once.
 */
export type MailTransport =
  | { kind: 'smtp'; send(msg: OutgoingEmail): Promise<{ messageId: string }>; close(): Promise<void> }
  | { kind: 'mailbox'; deliver(tx: EntityManager, msg: OutgoingEmail): Promise<{ messageId: string }>; close(): Promise<void> };

/** SMTP errors that will not get better by retrying (5xx: unknown recipient, rejected sender...). */
export function isPermanentSmtpError(e: unknown): boolean {
  const code = (e as { responseCode?: number } | null)?.responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

/** The sender: Settings > Emails first, then MAIL_FROM, then the portal's name at no-reply@<public host>. */
export function resolveSender(
  config: Pick<Config, 'mailFrom'>,
  settings: Pick<AllSettings, 'mailFromName' | 'mailFromAddress' | 'portalName'>,
  publicUrl: string,
): MailAddress {
  const env = config.mailFrom ? parseMailFrom(config.mailFrom) : null;
  let host = 'localhost';
  try {
    host = new URL(publicUrl).hostname || host;
  } catch {
    /* keep localhost */
  }
  const name = headerSafe(settings.mailFromName || env?.name || settings.portalName, 80).replace(/["<>]/g, '');
  const address = (settings.mailFromAddress || env?.address || `no-reply@${host}`).replace(/[\s<>"]/g, '');
  return { name, address };
}

export function formatAddress(a: MailAddress): string {
  return a.name ? `"${a.name}" <${a.address}>` : a.address;
}

/** `maxConnections`: the pool's SMTP connections; the worker sends as many emails at once (its concurrency, 4 by default). */
export function createSmtpTransport(smtpUrl: string, opts: { maxConnections?: number } = {}): MailTransport {
  // Created on first use and again after close(), so a stopped worker can start again.
  let pool: Transporter<SMTPPool.SentMessageInfo, SMTPPool.Options> | null = null;
  const transporter = () =>
    (pool ??= nodemailer.createTransport({
      url: smtpUrl,
      pool: true,
      maxConnections: opts.maxConnections ?? 4,
      maxMessages: 500,
      // A mail server that hangs must not hold an outbox row for long; the worker retries later.
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    }));
  return {
    kind: 'smtp',
    async send(msg) {
      const info = await transporter().sendMail({
        from: { name: headerSafe(msg.from.name, 80), address: msg.from.address },
        to: msg.to,
        subject: headerSafe(msg.subject),
        html: msg.html,
        text: msg.text,
        headers: msg.outboxId !== null ? { 'X-Admit-Outbox-Id': String(msg.outboxId) } : {},
        ...(msg.messageId ? { messageId: msg.messageId } : {}),
        // Never let nodemailer read files or URLs named inside the message.
        disableFileAccess: true,
        disableUrlAccess: true,
      });
      return { messageId: info.messageId };
    },
    async close() {
      pool?.close();
      pool = null;
    },
  };
}

/** The built-in mailbox for installs without SMTP: the message goes to mailbox_message and the log. */
export function createMailboxTransport(log: Logger, opts: { logLinks?: boolean } = {}): MailTransport {
  return {
    kind: 'mailbox',
    async deliver(tx, msg) {
      const rows = await tx.execute<{ id: string }[]>(
        `insert into mailbox_message (outbox_id, template, from_address, to_address, subject, html, text, created_at)
         values (?, ?, ?, ?, ?, ?, ?, now()) returning id`,
        [msg.outboxId, msg.template, formatAddress(msg.from), msg.to, msg.subject.slice(0, 300), msg.html, msg.text],
      );
      const id = rows[0]!.id;
      // Without a mail server, the log is how an operator gets a link to someone (e.g. a reset).
      // The links are logged only where config.ts's mailLinksInLog allows; elsewhere the logger would redact their tokens anyway.
      log.info('email delivered to the built-in mailbox', {
        to: msg.to,
        subject: JSON.stringify(msg.subject),
        ...(opts.logLinks ? { links: liveLinks(msg.links) } : {}),
        mailboxId: Number(id),
      });
      return { messageId: `mailbox-${id}` };
    },
    async close() {},
  };
}

export function createTransportFromConfig(config: Pick<Config, 'smtpUrl' | 'production' | 'mailLogLinks'>, log: Logger): MailTransport {
  return config.smtpUrl ? createSmtpTransport(config.smtpUrl) : createMailboxTransport(log, { logLinks: mailLinksInLog(config) });
}
