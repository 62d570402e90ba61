// The shared schemas use zod/mini: the pages import them too, and the first visit stays small.
import * as z from 'zod/mini';
import { EMAIL_MAX, PASSWORD_MAX, PASSWORD_MIN } from '../constants.js';
import { checkEmail } from '../email.js';
import { normaliseText, textProblem, type TextKind } from '../text.js';

// Control characters (including CR/LF) are never legitimate in addresses: they are how header
// injection starts.
const noControl = (v: string) => !/[\u0000-\u001f\u007f]/.test(v);

export interface TextOptions {
  /** When false, '' is accepted (the caller decides what an empty value means). Default true. */
  required?: boolean;
}

/**
 * A human-entered text of one kind (shared/text.ts): normalised (NFC, trimmed), then refused with
 * "<Label> <problem>" when it holds a character the kind does not allow. Messages:
 * "<Label> is required" (or "<Label> must be text" when optional), "<Label> must be at most <max> characters".
 */
function humanText(kind: TextKind, label: string, max: number, { required = true }: TextOptions = {}) {
  return z.string({ error: required ? `${label} is required` : `${label} must be text` }).check(
    z.overwrite((v) => normaliseText(v, kind)),
    ...(required ? [z.minLength(1, { error: `${label} is required` })] : []),
    z.maxLength(max, { error: `${label} must be at most ${max} characters` }),
    (ctx) => {
      const problem = textProblem(ctx.value, kind);
      if (problem) ctx.issues.push({ code: 'custom', message: `${label} ${problem}`, input: ctx.value });
    },
  );
}

/** A name (people, organisations): one line, and no invisible characters either. */
export const nameText = (label: string, max: number, options?: TextOptions) => humanText('name', label, max, options);
/** One line of text (subjects, the portal's name). */
export const lineText = (label: string, max: number, options?: TextOptions) => humanText('line', label, max, options);
/** Text that may span lines (reasons, an email's main text): tab and newline allowed, CR LF becomes LF. */
export const multilineText = (label: string, max: number, options?: TextOptions) => humanText('multiline', label, max, options);

/**
 * An email address by the one rule of shared/email.ts: trimmed, internationalised domains
 * converted to ASCII (punycode), which is what the output carries.
 */
export const emailSchema = z.pipe(
  z
    .string({ error: 'Email is required' })
    .check(
      z.trim(),
      z.minLength(1, { error: 'Email is required' }),
      z.maxLength(EMAIL_MAX, { error: `Email must be at most ${EMAIL_MAX} characters` }),
      z.refine(noControl, { error: 'Email contains invalid characters' }),
    ),
  z.transform((value: string, ctx) => {
    const r = checkEmail(value);
    if (r.ok) return r.email;
    ctx.issues.push({ code: 'custom', message: r.message, input: value });
    return z.NEVER;
  }),
);

export const passwordSchema = z
  .string({ error: 'Password is required' })
  .check(
    z.minLength(PASSWORD_MIN, { error: `Password must be at least ${PASSWORD_MIN} characters` }),
    z.maxLength(PASSWORD_MAX, { error: `Password must be at most ${PASSWORD_MAX} characters` }),
  );

/**
 * The words of the password rules, one source for every page that sets a password (setup,
 * registration, accepting an invite, reset, change password, Add new user): the same rule is
 * told the same way everywhere.
 */
export const PASSWORD_MESSAGES = {
  confirmRequired: 'Please confirm the password',
  mismatch: 'Passwords do not match',
} as const;

/** The "type it again" field: required, and it must match (checked by the form's refine with PASSWORD_MESSAGES.mismatch). */
export const confirmPasswordSchema = z
  .string({ error: PASSWORD_MESSAGES.confirmRequired })
  .check(z.minLength(1, { error: PASSWORD_MESSAGES.confirmRequired }), z.maxLength(PASSWORD_MAX, { error: PASSWORD_MESSAGES.mismatch }));

export const uuidSchema = z.uuid({ error: 'Invalid id' });

export const tokenSchema = z
  .string({ error: 'The link is incomplete' })
  .check(
    z.minLength(16, { error: 'The link is incomplete' }),
    z.maxLength(128, { error: 'The link is invalid' }),
    z.regex(/^[A-Za-z0-9_-]+$/, { error: 'The link is invalid' }),
  );
