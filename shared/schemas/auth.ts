import * as z from 'zod/mini';
import { NAME_MAX } from '../constants.js';
import { confirmPasswordSchema, emailSchema, nameText, PASSWORD_MESSAGES, passwordSchema } from './common.js';
import { userSnapshotSchema } from './users.js';

export const loginInput = z.object({
  email: emailSchema,
  // At login, only bound the size: the rules applied at sign-up may have changed since.
  password: z
    .string({ error: 'Password is required' })
    .check(z.minLength(1, { error: 'Password is required' }), z.maxLength(256, { error: 'Password must be at most 256 characters' })),
  /** The proof-of-work payload, required while the account is challenged after many failed logins. */
  altcha: z.optional(z.string().check(z.maxLength(8_000))),
});
export type LoginInput = z.infer<typeof loginInput>;

export const setupInput = z
  .object({
    firstName: nameText('First name', NAME_MAX),
    lastName: nameText('Last name', NAME_MAX),
    email: emailSchema,
    password: passwordSchema,
    confirmPassword: confirmPasswordSchema,
  })
  .check(z.refine((v) => v.password === v.confirmPassword, { path: ['confirmPassword'], error: PASSWORD_MESSAGES.mismatch }));
export type SetupInput = z.infer<typeof setupInput>;

/** Who is logged in: the user snapshot's identity fields, plus whether a password change is due. */
export const sessionUser = z.extend(z.pick(userSnapshotSchema, { id: true, email: true, firstName: true, lastName: true, role: true, status: true }), {
  mustChangePassword: z.boolean(),
});
export type SessionUser = z.infer<typeof sessionUser>;

export const meOutput = z.object({
  user: z.nullable(sessionUser),
  needsSetup: z.boolean(),
  portalName: z.string(),
  signupEnabled: z.boolean(),
});
export type MeOutput = z.infer<typeof meOutput>;

export const okOutput = z.object({ ok: z.literal(true) });
