import * as z from 'zod/mini';
import { USER_ROLES, USER_STATUSES } from '../constants.js';
import { registerInput } from './users.js';

/** The developer's own account as their home page shows it (account.get). */
export const accountOutput = z.object({
  id: z.string(),
  email: z.string(),
  firstName: z.string(),
  lastName: z.string(),
  role: z.enum(USER_ROLES),
  status: z.enum(USER_STATUSES),
  organisationName: z.string(),
  createdAt: z.string(),
  /** The newest terms version this account accepted, when terms have been published; null otherwise. */
  terms: z.nullable(
    z.object({
      /** The version accepted (null: none accepted yet). */
      acceptedVersion: z.nullable(z.int()),
      acceptedTitle: z.nullable(z.string()),
      acceptedAt: z.nullable(z.string()),
      /** The version in force now. */
      currentVersion: z.int(),
    }),
  ),
});
export type AccountOutput = z.infer<typeof accountOutput>;

/** Update their own name: the same rules (and words) as the registration form's name fields. */
export const updateOwnNameInput = z.strictObject({
  firstName: registerInput.shape.firstName,
  lastName: registerInput.shape.lastName,
});
export type UpdateOwnNameInput = z.infer<typeof updateOwnNameInput>;
