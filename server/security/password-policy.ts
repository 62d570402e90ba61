import { PASSWORD_MAX } from '../../shared/constants.js';
import { AppError } from '../errors.js';
import { normalizePassword } from './password.js';

// Rules for a NEW password (ASVS 5.0 V6.2, NIST 800-63B-4 §3.1.1.2): a minimum length set by the
// admin (at least 8, default 12), up to 256 characters, no composition rules, and not one of the
// commonly used passwords. Existing passwords are never re-judged: they keep working until changed.

let common: Set<string> | null = null;

/** The common-password list shipped with the app (@zxcvbn-ts/language-common, ~49,000 entries), lower-cased, loaded once. */
async function commonPasswords(): Promise<Set<string>> {
  if (!common) {
    const { dictionary } = await import('@zxcvbn-ts/language-common');
    common = new Set(dictionary['passwords-common'].map((p) => p.toLowerCase()));
  }
  return common;
}

export async function isCommonPassword(password: string): Promise<boolean> {
  return (await commonPasswords()).has(normalizePassword(password).toLowerCase());
}

/** Length as NIST counts it: Unicode code points of the NFC form. */
export function passwordLength(password: string): number {
  return Array.from(normalizePassword(password)).length;
}

/** Why this new password is refused, or null. */
export async function newPasswordProblem(password: string, minLength: number): Promise<string | null> {
  const length = passwordLength(password);
  if (length < minLength) return `Password must be at least ${minLength} characters`;
  if (length > PASSWORD_MAX) return `Password must be at most ${PASSWORD_MAX} characters`;
  if (await isCommonPassword(password)) return 'This password is on a list of commonly used passwords. Please choose another.';
  return null;
}

/** Throws BAD_REQUEST (reason WEAK_PASSWORD, message on `field`) when the new password breaks the rules. */
export async function assertAcceptableNewPassword(password: string, minLength: number, field = 'password'): Promise<void> {
  const problem = await newPasswordProblem(password, minLength);
  if (problem) throw new AppError('BAD_REQUEST', 'WEAK_PASSWORD', problem, { fieldErrors: { [field]: problem } });
}
