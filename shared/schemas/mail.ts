import * as z from 'zod/mini';
import { EMAIL_TEMPLATE_NAMES } from '../../emails/templates.js';
import { lineText, multilineText } from './common.js';
import { mailSenderSettingsSchema } from './settings.js';

export const EMAIL_SUBJECT_MAX = 200;
export const EMAIL_MAIN_TEXT_MAX = 5000;

export const templateNameSchema = z.enum(EMAIL_TEMPLATE_NAMES, { error: 'Unknown email template' });

const idSchema = z.int({ error: 'Invalid id' }).check(z.positive({ error: 'Invalid id' }));
const cursorSchema = z.nullish(idSchema);
const limitSchema = z._default(z.int().check(z.gte(1), z.lte(100)), 25);

// ---------------------------------------------------------------------------------------------
// admin.mail.*: the built-in mailbox and the outbox

export const mailTransportSchema = z.enum(['smtp', 'mailbox']);

export const mailboxListInput = z._default(
  z.object({
    cursor: cursorSchema,
    limit: limitSchema,
    search: z.optional(lineText('Search', 200, { required: false })),
  }),
  { limit: 25 },
);

export const mailboxListItem = z.object({
  id: z.number(),
  template: z.string(),
  from: z.string(),
  to: z.string(),
  subject: z.string(),
  createdAt: z.string(),
});
export type MailboxListItem = z.infer<typeof mailboxListItem>;

export const mailboxListOutput = z.object({
  items: z.array(mailboxListItem),
  nextCursor: z.nullable(z.number()),
  /** Where the server sends email right now: 'mailbox' when no SMTP_URL is configured. */
  transport: mailTransportSchema,
});

export const mailboxMessageInput = z.object({ id: idSchema });
export const mailboxMessageOutput = z.extend(mailboxListItem, {
  html: z.string(),
  text: z.string(),
  outboxId: z.nullable(z.number()),
});
export type MailboxMessage = z.infer<typeof mailboxMessageOutput>;

// 'suppressed': held back by the suppression list or the per-recipient cap (last_error says which); never sent.
export const OUTBOX_STATUSES = ['pending', 'sent', 'failed', 'suppressed'] as const;
export const outboxListInput = z._default(
  z.object({
    status: z._default(z.enum([...OUTBOX_STATUSES, 'all']), 'all'),
    cursor: cursorSchema,
    limit: limitSchema,
  }),
  { status: 'all', limit: 25 },
);

export const outboxItem = z.object({
  id: z.number(),
  template: z.string(),
  to: z.string(),
  status: z.enum(OUTBOX_STATUSES),
  attempts: z.number(),
  maxAttempts: z.number(),
  subject: z.nullable(z.string()),
  lastError: z.nullable(z.string()),
  nextAttemptAt: z.string(),
  sentAt: z.nullable(z.string()),
  createdAt: z.string(),
  /** False when the email carried a one-time link that was discarded: the flow must send a new one. */
  retryable: z.boolean(),
});
export type OutboxItem = z.infer<typeof outboxItem>;

export const outboxListOutput = z.object({
  items: z.array(outboxItem),
  nextCursor: z.nullable(z.number()),
  counts: z.object({ pending: z.number(), sent: z.number(), failed: z.number(), suppressed: z.number() }),
});

export const outboxRetryInput = z.object({ id: idSchema });

// ---------------------------------------------------------------------------------------------
// admin.settings.emails.*: Settings > Emails

/** One line (shared/text.ts): no line breaks or control characters. */
export const templateSubjectSchema = lineText('Subject', EMAIL_SUBJECT_MAX);

/** Tab and line breaks allowed; CR LF stored as LF. */
export const templateMainTextSchema = multilineText('Main text', EMAIL_MAIN_TEXT_MAX);

export const emailTemplateInfo = z.object({
  name: templateNameSchema,
  label: z.string(),
  description: z.string(),
  subject: z.string(),
  mainText: z.string(),
  defaultSubject: z.string(),
  defaultMainText: z.string(),
  customized: z.boolean(),
  /** The {{placeholders}} this template's subject and main text may use. */
  placeholders: z.array(z.string()),
});
export type EmailTemplateInfo = z.infer<typeof emailTemplateInfo>;

export const emailSettingsOutput = z.object({
  templates: z.array(emailTemplateInfo),
  sender: z.extend(mailSenderSettingsSchema, {
    /** The From header emails carry right now, after fallbacks (MAIL_FROM, no-reply@host). */
    effectiveFrom: z.string(),
    /** The sender's version: a save with it applies only while nobody else saved meanwhile. */
    version: z.int(),
  }),
  transport: mailTransportSchema,
});
export type EmailSettingsOutput = z.infer<typeof emailSettingsOutput>;

export const previewEmailInput = z.object({
  template: templateNameSchema,
  // A preview shows whatever is typed, even half-written: only bounded here.
  subject: z.optional(z.string().check(z.maxLength(EMAIL_SUBJECT_MAX * 2))),
  mainText: z.optional(z.string().check(z.maxLength(EMAIL_MAIN_TEXT_MAX * 2))),
});
export const previewEmailOutput = z.object({
  subject: z.string(),
  html: z.string(),
  text: z.string(),
  from: z.string(),
  /** Placeholders in the draft that this template does not know (shown as typed). */
  unknownPlaceholders: z.array(z.string()),
});
export type PreviewEmailOutput = z.infer<typeof previewEmailOutput>;

export const saveTemplateInput = z.object({
  template: templateNameSchema,
  subject: templateSubjectSchema,
  mainText: templateMainTextSchema,
});
export type SaveTemplateInput = z.infer<typeof saveTemplateInput>;

export const templateInput = z.object({ template: templateNameSchema });

export const sendTestEmailOutput = z.object({ ok: z.literal(true), to: z.string() });
