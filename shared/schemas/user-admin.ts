import { z } from 'zod';
import { USER_ROLES } from '../constants.js';
import { emailSchema, passwordSchema, personNameSchema, uuidSchema } from './common.js';
import { expectedVersionSchema, userSnapshotSchema } from './users.js';
import { inviteStateSchema } from './invites.js';

const organisationIdSchema = z.uuid({ message: 'Choose an organisation' });

const addUserBase = {
  firstName: personNameSchema('First name'),
  lastName: personNameSchema('Last name'),
  email: emailSchema,
  organisationId: organisationIdSchema,
};

/**
 * Add new user: EITHER with a password (active at once, optionally forced to change it at the
 * next login) OR without one (invited; the invite may go out at once). The two exclude each
 * other: each variant refuses the other's fields, and no other key is accepted.
 */
export const addUserInput = z.discriminatedUnion(
  'mode',
  [
    z.strictObject({
      ...addUserBase,
      mode: z.literal('password'),
      password: passwordSchema,
      mustChangePassword: z.boolean({ message: 'Must be true or false' }).default(false),
      sendInvite: z.undefined({ message: 'A user with a password cannot be sent an invite' }).optional(),
    }),
    z.strictObject({
      ...addUserBase,
      mode: z.literal('invite'),
      password: z.undefined({ message: 'An invited user chooses their own password: leave it empty' }).optional(),
      mustChangePassword: z.undefined({ message: 'An invited user chooses their own password' }).optional(),
      sendInvite: z.boolean({ message: 'Must be true or false' }).default(true),
    }),
  ],
  { message: 'Choose "Set password" or "Send an invite"' },
);
export type AddUserInput = z.input<typeof addUserInput>;
export type AddUserData = z.output<typeof addUserInput>;

export const addUserOutput = z.object({
  user: userSnapshotSchema,
  /** The invite sent with the new user, when asked to. */
  invite: inviteStateSchema.nullable(),
});
export type AddUserOutput = z.infer<typeof addUserOutput>;

/** Edit user (admin): name, organisation, role; expectedVersion is the version the admin saw. */
export const updateUserInput = z.strictObject({
  userId: uuidSchema,
  expectedVersion: expectedVersionSchema,
  firstName: personNameSchema('First name'),
  lastName: personNameSchema('Last name'),
  organisationId: organisationIdSchema,
  role: z.enum(USER_ROLES, { message: 'Choose a role' }),
});
export type UpdateUserInput = z.infer<typeof updateUserInput>;

export const updateUserOutput = z.object({
  user: userSnapshotSchema,
  /** Field → {from, to}; empty when nothing changed. */
  changes: z.record(z.string(), z.object({ from: z.unknown(), to: z.unknown() })),
});
export type UpdateUserOutput = z.infer<typeof updateUserOutput>;
