import * as z from 'zod/mini';
import { NAME_MAX, USER_ROLES } from '../constants.js';
import { emailSchema, nameText, passwordSchema, uuidSchema } from './common.js';
import { expectedVersionSchema, userSnapshotSchema } from './users.js';
import { inviteStateSchema } from './invites.js';

const organisationIdSchema = z.uuid({ error: 'Choose an organisation' });

const addUserBase = {
  firstName: nameText('First name', NAME_MAX),
  lastName: nameText('Last name', NAME_MAX),
  email: emailSchema,
  organisationId: organisationIdSchema,
};

/**
 * Add new user: EITHER with a password (active at once, told by email that an account exists,
 * and by default made to change the password at the next login) OR without one (invited; the invite may go out at once). The two exclude each
 * other: each variant refuses the other's fields, and no other key is accepted.
 */
export const addUserInput = z.discriminatedUnion(
  'mode',
  [
    z.strictObject({
      ...addUserBase,
      mode: z.literal('password'),
      password: passwordSchema,
      // On unless the admin unticks it (OWASP ASVS 5.0 6.4.6: an admin should not choose a user's permanent password).
      mustChangePassword: z._default(z.boolean({ error: 'Must be true or false' }), true),
      sendInvite: z.optional(z.undefined({ error: 'A user with a password cannot be sent an invite' })),
    }),
    z.strictObject({
      ...addUserBase,
      mode: z.literal('invite'),
      password: z.optional(z.undefined({ error: 'An invited user chooses their own password: leave it empty' })),
      mustChangePassword: z.optional(z.undefined({ error: 'An invited user chooses their own password' })),
      sendInvite: z._default(z.boolean({ error: 'Must be true or false' }), true),
    }),
  ],
  { error: 'Choose "Set password" or "Send an invite"' },
);
export type AddUserInput = z.input<typeof addUserInput>;
export type AddUserData = z.output<typeof addUserInput>;

export const addUserOutput = z.object({
  user: userSnapshotSchema,
  /** The invite sent with the new user, when asked to. */
  invite: z.nullable(inviteStateSchema),
});
export type AddUserOutput = z.infer<typeof addUserOutput>;

/** Edit user (admin): name, organisation, role; expectedVersion is the version the admin saw. */
export const updateUserInput = z.strictObject({
  userId: uuidSchema,
  expectedVersion: expectedVersionSchema,
  firstName: nameText('First name', NAME_MAX),
  lastName: nameText('Last name', NAME_MAX),
  organisationId: organisationIdSchema,
  role: z.enum(USER_ROLES, { error: 'Choose a role' }),
});
export type UpdateUserInput = z.infer<typeof updateUserInput>;

export const updateUserOutput = z.object({
  user: userSnapshotSchema,
  /** Field → {from, to}; empty when nothing changed. */
  changes: z.record(z.string(), z.object({ from: z.unknown(), to: z.unknown() })),
});
export type UpdateUserOutput = z.infer<typeof updateUserOutput>;

/**
 * Reconsider a rejected registration: back to the pending queue or straight to active.
 * `notify` sends the user an email (registration-reconsidered, or account-activated); off by default.
 */
export const RECONSIDER_TARGETS = ['pending', 'active'] as const;
export const reconsiderUserInput = z.strictObject({
  userId: uuidSchema,
  expectedVersion: expectedVersionSchema,
  to: z.enum(RECONSIDER_TARGETS, { error: 'Choose "pending" or "active"' }),
  notify: z._default(z.boolean({ error: 'Must be true or false' }), false),
});
export type ReconsiderUserInput = z.input<typeof reconsiderUserInput>;
export type ReconsiderUserData = z.output<typeof reconsiderUserInput>;
