import { z } from 'zod';
import { EMAIL_TEMPLATE_NAMES } from '../../emails/templates.js';
import { mailSenderSettingsSchema } from './settings.js';

export const EMAIL_SUBJECT_MAX = 200;
export const EMAIL_MAIN_TEXT_MAX = 5000;

export const templateNameSchema = z.enum(EMAIL_TEMPLATE_NAMES, { message: 'Unknown email template' });

const idSchema = z.number({ message: 'Invalid id' }).int({ message: 'Invalid id' }).positive({ message: 'Invalid id' });
const cursorSchema = idSchema.nullish();
const limitSchema = z.number().int().min(1).max(100).default(25);

// ---------------------------------------------------------------------------------------------
// admin.mail.*: the built-in mailbox and the outbox

export const mailTransportSchema = z.enum(['smtp', 'mailbox']);

export const mailboxListInput = z
  .object({
    cursor: cursorSchema,
    limit: limitSchema,
    search: z.string().trim().max(200, { message: 'Search is too long' }).optional(),
  })
  .default({ limit: 25 });

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
  nextCursor: z.number().nullable(),
  /** Where the server sends email right now: 'mailbox' when no SMTP_URL is configured. */
  transport: mailTransportSchema,
});

export const mailboxMessageInput = z.object({ id: idSchema });
export const mailboxMessageOutput = mailboxListItem.extend({
  html: z.string(),
  text: z.string(),
  outboxId: z.number().nullable(),
});
export type MailboxMessage = z.infer<typeof mailboxMessageOutput>;

export const OUTBOX_STATUSES = ['pending', 'sent', 'failed'] as const;
export const outboxListInput = z
  .object({
    status: z.enum([...OUTBOX_STATUSES, 'all']).default('all'),
    cursor: cursorSchema,
    limit: limitSchema,
  })
  .default({ status: 'all', limit: 25 });

export const outboxItem = z.object({
  id: z.number(),
  template: z.string(),
  to: z.string(),
  status: z.enum(OUTBOX_STATUSES),
  attempts: z.number(),
  maxAttempts: z.number(),
  subject: z.string().nullable(),
  lastError: z.string().nullable(),
  nextAttemptAt: z.string(),
  sentAt: z.string().nullable(),
  createdAt: z.string(),
  /** False when the email carried a one-time link that was discarded: the flow must send a new one. */
  retryable: z.boolean(),
});
export type OutboxItem = z.infer<typeof outboxItem>;

export const outboxListOutput = z.object({
  items: z.array(outboxItem),
  nextCursor: z.number().nullable(),
  counts: z.object({ pending: z.number(), sent: z.number(), failed: z.number() }),
});

export const outboxRetryInput = z.object({ id: idSchema });

// ---------------------------------------------------------------------------------------------
// admin.settings.emails.*: Settings > Emails

const noControl = (v: string) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(v);

export const templateSubjectSchema = z
  .string({ message: 'Subject is required' })
  .trim()
  .min(1, { message: 'Subject is required' })
  .max(EMAIL_SUBJECT_MAX, { message: `Subject must be at most ${EMAIL_SUBJECT_MAX} characters` })
  .refine((v) => !/[\u0000-\u001f\u007f]/.test(v), { message: 'Subject cannot contain line breaks or control characters' });

export const templateMainTextSchema = z
  .string({ message: 'Main text is required' })
  .trim()
  .min(1, { message: 'Main text is required' })
  .max(EMAIL_MAIN_TEXT_MAX, { message: `Main text must be at most ${EMAIL_MAIN_TEXT_MAX} characters` })
  .refine(noControl, { message: 'Main text contains invalid characters' });

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
  sender: mailSenderSettingsSchema.extend({
    /** The From header emails carry right now, after fallbacks (MAIL_FROM, no-reply@host). */
    effectiveFrom: z.string(),
  }),
  transport: mailTransportSchema,
});
export type EmailSettingsOutput = z.infer<typeof emailSettingsOutput>;

export const previewEmailInput = z.object({
  template: templateNameSchema,
  // A preview shows whatever is typed, even half-written: only bounded here.
  subject: z.string().max(EMAIL_SUBJECT_MAX * 2).optional(),
  mainText: z.string().max(EMAIL_MAIN_TEXT_MAX * 2).optional(),
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
