import { z } from 'zod';
import { PASSWORD_MAX } from '../constants.js';
import { emailSchema, passwordSchema, tokenSchema } from './common.js';

/** How long a password-reset link works. */
export const PASSWORD_RESET_TTL_MINUTES = 60;

export const requestPasswordResetInput = z.object({ email: emailSchema });
export type RequestPasswordResetInput = z.infer<typeof requestPasswordResetInput>;

export const resetTokenInput = z.object({ token: tokenSchema });

/** What the reset page may show before the new password is chosen (the token's holder owns the address). */
export const checkResetTokenOutput = z.object({ email: z.string() });

export const completePasswordResetInput = z
  .object({
    token: tokenSchema,
    password: passwordSchema,
    confirmPassword: z.string({ message: 'Please confirm the new password' }).max(PASSWORD_MAX, { message: 'Passwords do not match' }),
  })
  .refine((v) => v.password === v.confirmPassword, { path: ['confirmPassword'], message: 'Passwords do not match' });
export type CompletePasswordResetInput = z.infer<typeof completePasswordResetInput>;
