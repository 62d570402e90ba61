import * as z from 'zod/mini';
import { confirmPasswordSchema, emailSchema, PASSWORD_MESSAGES, passwordSchema, tokenSchema } from './common.js';
import { botFieldsSchema } from './security.js';

/** How long a password-reset link works. */
export const PASSWORD_RESET_TTL_MINUTES = 60;

export const requestPasswordResetInput = z.object({ email: emailSchema, bot: z.optional(botFieldsSchema) });
export type RequestPasswordResetInput = z.infer<typeof requestPasswordResetInput>;

export const resetTokenInput = z.object({ token: tokenSchema });

/** What the reset page may show before the new password is chosen (the token's holder owns the address). */
export const checkResetTokenOutput = z.object({ email: z.string() });

export const completePasswordResetInput = z
  .object({
    token: tokenSchema,
    password: passwordSchema,
    confirmPassword: confirmPasswordSchema,
  })
  .check(z.refine((v) => v.password === v.confirmPassword, { path: ['confirmPassword'], error: PASSWORD_MESSAGES.mismatch }));
export type CompletePasswordResetInput = z.infer<typeof completePasswordResetInput>;
