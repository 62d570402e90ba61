import * as z from 'zod/mini';
import { PASSWORD_MAX } from '../constants.js';
import { confirmPasswordSchema, PASSWORD_MESSAGES, passwordSchema } from './common.js';

export const changePasswordInput = z
  .object({
    currentPassword: z
      .string({ error: 'Current password is required' })
      .check(z.minLength(1, { error: 'Current password is required' }), z.maxLength(PASSWORD_MAX, { error: 'Current password is incorrect' })),
    newPassword: passwordSchema,
    confirmPassword: confirmPasswordSchema,
  })
  .check(
    z.refine((v) => v.newPassword === v.confirmPassword, { path: ['confirmPassword'], error: PASSWORD_MESSAGES.mismatch }),
    z.refine((v) => v.newPassword !== v.currentPassword, {
      path: ['newPassword'],
      error: 'The new password must be different from the current one',
    }),
  );
export type ChangePasswordInput = z.infer<typeof changePasswordInput>;

export const changePasswordOutput = z.object({
  ok: z.literal(true),
  /** How many other sessions (other browsers and devices) were logged out. */
  otherSessionsRevoked: z.int(),
});
export type ChangePasswordOutput = z.infer<typeof changePasswordOutput>;
