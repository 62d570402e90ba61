import * as z from 'zod/mini';
import { NAME_MAX } from '../constants.js';
import { confirmPasswordSchema, nameText, PASSWORD_MESSAGES, passwordSchema, tokenSchema, uuidSchema } from './common.js';
import { botFieldsSchema } from './security.js';

export const INVITE_STATES = ['pending', 'accepted', 'expired', 'revoked'] as const;
export type InviteStateName = (typeof INVITE_STATES)[number];

/** Delivery as the outbox knows it: queued (or retrying), handed to the mail server, or given up. */
export const inviteDeliverySchema = z.object({
  status: z.enum(['pending', 'sent', 'failed']),
  attempts: z.int(),
  lastError: z.nullable(z.string()),
  sentAt: z.nullable(z.string()),
  /** Where a sent email went: a mail server (SMTP) or the built-in mailbox (no SMTP_URL). */
  via: z.optional(z.enum(['smtp', 'mailbox'])),
});

/** One invite (one token) as the admin's user page shows it. */
export const inviteStateSchema = z.object({
  id: z.string(),
  state: z.enum(INVITE_STATES),
  sentAt: z.string(),
  sentBy: z.nullable(z.object({ id: z.string(), name: z.string() })),
  expiresAt: z.string(),
  openedAt: z.nullable(z.string()),
  acceptedAt: z.nullable(z.string()),
  revokedAt: z.nullable(z.string()),
  delivery: z.nullable(inviteDeliverySchema),
});
export type InviteState = z.infer<typeof inviteStateSchema>;

export const inviteUserInput = z.object({ userId: uuidSchema });
export type InviteUserInput = z.infer<typeof inviteUserInput>;

export const inviteActionOutput = z.object({ invite: inviteStateSchema });

export const invitesForUserOutput = z.object({
  /** Send/Resend are offered only while the user has no password (an invited user). */
  canInvite: z.boolean(),
  /** The newest invite, whatever its state; null when none was ever sent. */
  latest: z.nullable(inviteStateSchema),
  /** Every invite, newest first. */
  history: z.array(inviteStateSchema),
});
export type InvitesForUser = z.infer<typeof invitesForUserOutput>;

export const inviteTokenInput = z.object({ token: tokenSchema });

export const inviteInspectOutput = z.object({
  email: z.string(),
  firstName: z.string(),
  lastName: z.string(),
  expiresAt: z.string(),
});
export type InviteInspectOutput = z.infer<typeof inviteInspectOutput>;

export const acceptInviteInput = z
  .object({
    token: tokenSchema,
    firstName: nameText('First name', NAME_MAX),
    lastName: nameText('Last name', NAME_MAX),
    password: passwordSchema,
    confirmPassword: confirmPasswordSchema,
    /** Bot protection (Settings › Security): proof-of-work payload, form token, honeypot. */
    bot: z.optional(botFieldsSchema),
    /** The terms version whose box was ticked (required while terms are published). */
    acceptTerms: z.nullish(z.int()),
  })
  .check(z.refine((v) => v.password === v.confirmPassword, { path: ['confirmPassword'], error: PASSWORD_MESSAGES.mismatch }));
export type AcceptInviteInput = z.infer<typeof acceptInviteInput>;
