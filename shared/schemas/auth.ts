import { z } from 'zod';
import { emailSchema, passwordSchema, personNameSchema } from './common.js';
import { userSnapshotSchema } from './users.js';

export const loginInput = z.object({
  email: emailSchema,
  // At login, only bound the size: the rules applied at sign-up may have changed since.
  password: z.string({ message: 'Password is required' }).min(1, { message: 'Password is required' }).max(256, { message: 'Password must be at most 256 characters' }),
});
export type LoginInput = z.infer<typeof loginInput>;

export const setupInput = z
  .object({
    firstName: personNameSchema('First name'),
    lastName: personNameSchema('Last name'),
    email: emailSchema,
    password: passwordSchema,
    confirmPassword: z.string(),
  })
  .refine((v) => v.password === v.confirmPassword, { path: ['confirmPassword'], message: 'Passwords do not match' });
export type SetupInput = z.infer<typeof setupInput>;

/** Who is logged in: the user snapshot's identity fields, plus whether a password change is due. */
export const sessionUser = userSnapshotSchema
  .pick({ id: true, email: true, firstName: true, lastName: true, role: true, status: true })
  .extend({ mustChangePassword: z.boolean() });
export type SessionUser = z.infer<typeof sessionUser>;

export const meOutput = z.object({
  user: sessionUser.nullable(),
  needsSetup: z.boolean(),
  portalName: z.string(),
  signupEnabled: z.boolean(),
});
export type MeOutput = z.infer<typeof meOutput>;

export const okOutput = z.object({ ok: z.literal(true) });
