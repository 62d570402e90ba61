import * as z from 'zod/mini';

/** Re-authentication ("sudo mode"): how long a password check counts for sensitive admin changes. */
export const REAUTH_WINDOW_MS = 10 * 60_000;

export const confirmPasswordInput = z.object({
  password: z
    .string({ error: 'Password is required' })
    .check(z.minLength(1, { error: 'Password is required' }), z.maxLength(256, { error: 'Password must be at most 256 characters' })),
  /** The proof-of-work payload, required while the account is challenged after many failed logins (as at login). */
  altcha: z.optional(z.string().check(z.maxLength(8_000))),
});
export type ConfirmPasswordInput = z.infer<typeof confirmPasswordInput>;

export const confirmPasswordOutput = z.object({ ok: z.literal(true), checkedAt: z.string() });
export type ConfirmPasswordOutput = z.infer<typeof confirmPasswordOutput>;
