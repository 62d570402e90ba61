import * as z from 'zod/mini';
import { emailSchema, tokenSchema } from './common.js';

/** How long a verification link works. */
export const EMAIL_VERIFY_TTL_HOURS = 24;

/** The verification page's token (from the URL fragment `#token=…`). */
export const verifyTokenInput = z.object({ token: tokenSchema });
export type VerifyTokenInput = z.infer<typeof verifyTokenInput>;

/** What the page may show before the button is pressed: inspecting a link verifies nothing. */
export const verifyTokenInfoOutput = z.object({ email: z.string() });

/**
 * The result of pressing the button: `active` (the policy approved the address; a session has
 * been started) or `pending` (an administrator decides next).
 */
export const verifyEmailOutput = z.object({ status: z.enum(['active', 'pending']), signedIn: z.boolean() });
export type VerifyEmailOutput = z.infer<typeof verifyEmailOutput>;

/** Ask for another verification email (same answer whatever the address). */
export const resendVerificationInput = z.object({ email: emailSchema });
export type ResendVerificationInput = z.infer<typeof resendVerificationInput>;
