import { z } from 'zod';
import { PASSWORD_MAX } from '../constants.js';
import { passwordSchema } from './common.js';

export const changePasswordInput = z
  .object({
    currentPassword: z
      .string({ message: 'Current password is required' })
      .min(1, { message: 'Current password is required' })
      .max(PASSWORD_MAX, { message: 'Current password is incorrect' }),
    newPassword: passwordSchema,
    confirmPassword: z.string({ message: 'Please confirm the new password' }).max(PASSWORD_MAX, { message: 'Passwords do not match' }),
  })
  .refine((v) => v.newPassword === v.confirmPassword, { path: ['confirmPassword'], message: 'Passwords do not match' })
  .refine((v) => v.newPassword !== v.currentPassword, {
    path: ['newPassword'],
    message: 'The new password must be different from the current one',
  });
export type ChangePasswordInput = z.infer<typeof changePasswordInput>;

export const changePasswordOutput = z.object({
  ok: z.literal(true),
  /** How many other sessions (other browsers and devices) were logged out. */
  otherSessionsRevoked: z.number().int(),
});
export type ChangePasswordOutput = z.infer<typeof changePasswordOutput>;
