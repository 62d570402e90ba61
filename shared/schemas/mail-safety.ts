// Outbound mail that cannot be turned into a weapon (issue 10, item 7): the per-recipient cap
// (Settings > Emails) and the suppression list (Admin > Mailbox > Suppressed addresses).
import * as z from 'zod/mini';
import { emailSchema, multilineText } from './common.js';
import { mailboxMessageOutput } from './mail.js';

/** Settings > Emails: how many non-essential emails one address may receive (emails/templates.ts says which are essential). */
export const mailCapSettingsSchema = z.object({
  perRecipientPerHour: z.int({ error: 'Enter a whole number' }).check(z.gte(1, { error: 'At least 1' }), z.lte(1000, { error: 'At most 1,000' })),
  perRecipientPerDay: z.int({ error: 'Enter a whole number' }).check(z.gte(1, { error: 'At least 1' }), z.lte(10_000, { error: 'At most 10,000' })),
});
export type MailCapSettings = z.infer<typeof mailCapSettingsSchema>;

export const DEFAULT_MAIL_CAP_SETTINGS: MailCapSettings = { perRecipientPerHour: 5, perRecipientPerDay: 20 };

export const SUPPRESSION_SOURCES = ['admin', 'bounce'] as const;

export const suppressionItem = z.object({
  address: z.string(),
  reason: z.string(),
  /** 'bounce': the mail server refused the address for good (a 5xx to RCPT TO). */
  source: z.enum(SUPPRESSION_SOURCES),
  createdAt: z.string(),
});
export type SuppressionItem = z.infer<typeof suppressionItem>;

export const suppressionListOutput = z.object({ items: z.array(suppressionItem) });

export const addSuppressionInput = z.object({
  email: emailSchema,
  reason: multilineText('Reason', 500),
});
export type AddSuppressionInput = z.infer<typeof addSuppressionInput>;

export const removeSuppressionInput = z.object({ email: z.string().check(z.trim(), z.minLength(1), z.maxLength(254)) });

/** admin.mail.reveal: the full text of an email addressed to someone else (recorded as mail.link_revealed). */
export const revealMessageInput = z.object({ id: z.int({ error: 'Invalid id' }).check(z.positive({ error: 'Invalid id' })) });

/**
 * One kept email as an admin sees it: in full when addressed to them; otherwise its one-time links
 * are replaced by "[redacted]" and counted in hiddenLinks until revealed.
 */
export const mailboxMessageView = z.extend(mailboxMessageOutput, {
  hiddenLinks: z.int(),
});
export type MailboxMessageView = z.infer<typeof mailboxMessageView>;
