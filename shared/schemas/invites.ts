import { z } from 'zod';
import { passwordSchema, personNameSchema, tokenSchema, uuidSchema } from './common.js';

export const INVITE_STATES = ['pending', 'accepted', 'expired', 'revoked'] as const;
export type InviteStateName = (typeof INVITE_STATES)[number];

/** Delivery as the outbox knows it: queued (or retrying), handed to the mail server, or given up. */
export const inviteDeliverySchema = z.object({
  status: z.enum(['pending', 'sent', 'failed']),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  sentAt: z.string().nullable(),
});

/** One invite (one token) as the admin's user page shows it. */
export const inviteStateSchema = z.object({
  id: z.string(),
  state: z.enum(INVITE_STATES),
  sentAt: z.string(),
  sentBy: z.object({ id: z.string(), name: z.string() }).nullable(),
  expiresAt: z.string(),
  openedAt: z.string().nullable(),
  acceptedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  delivery: inviteDeliverySchema.nullable(),
});
export type InviteState = z.infer<typeof inviteStateSchema>;

export const inviteUserInput = z.object({ userId: uuidSchema });
export type InviteUserInput = z.infer<typeof inviteUserInput>;

export const inviteActionOutput = z.object({ invite: inviteStateSchema });

export const invitesForUserOutput = z.object({
  /** Send/Resend are offered only while the user has no password (an invited user). */
  canInvite: z.boolean(),
  /** The newest invite, whatever its state; null when none was ever sent. */
  latest: inviteStateSchema.nullable(),
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
    firstName: personNameSchema('First name'),
    lastName: personNameSchema('Last name'),
    password: passwordSchema,
    confirmPassword: z.string({ message: 'Please confirm your password' }).max(256, { message: 'Passwords do not match' }),
  })
  .refine((v) => v.password === v.confirmPassword, { path: ['confirmPassword'], message: 'Passwords do not match' });
export type AcceptInviteInput = z.infer<typeof acceptInviteInput>;
