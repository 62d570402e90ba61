import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppServices } from '../app-services.js';
import type { RegisterInput, RegisterOutput } from '../../shared/schemas/users.js';
import type { AllSettings } from '../../shared/schemas/settings.js';
import { AppError } from '../errors.js';
import { hashPassword } from '../security/password.js';
import { sessionSettingsFrom } from '../settings/session-settings.service.js';
import { assertAcceptableNewPassword } from '../security/password-policy.js';
import { securitySettingsFrom } from '../security/security-settings.js';
import { appendEvent } from '../events/append.js';
import { countQueuedSince, queueEmail } from '../mail/outbox.js';
import { readSettings, settingsFromValues } from '../settings/settings.repository.js';
import { insertIntoDefaultOrganisation, lockUserByEmail, setRegistrationAnswers } from './users.repository.js';
import { announceDecision, issueVerificationLink } from './registration-mail.js';
import { transactionalWithRetry } from '../db/faults.js';
import { answersSchema, EMPTY_REGISTRATION_FORM, formFieldsSchema, type Answers, type RegistrationForm } from '../../shared/registration-form.js';
import { recordTermsAcceptance, requireTickedOf } from '../terms/terms.service.js';
import { toVersion } from '../terms/terms.repository.js';
import { readSignupRow } from './registration.repository.js';
import type { TermsVersion } from '../../shared/schemas/terms.js';
import type { SecuritySettings } from '../../shared/schemas/security.js';

// How often the owner of an address is told that someone tried to register with it.
const SIGNUP_ATTEMPT_NOTICE_INTERVAL_MS = 60 * 60_000;

const loginUrl = (app: AppServices) => `${app.publicUrl()}/login`;

/** The domain part of an address, lower-cased ("Dev@Example.COM" → "example.com"). */
export function emailDomain(email: string): string {
  return email
    .slice(email.lastIndexOf('@') + 1)
    .trim()
    .toLowerCase();
}

/** Whether the policy approves a registration from this address at once. */
export function isAutoApproved(settings: Pick<AllSettings, 'autoApprove' | 'autoApproveDomains'>, email: string): boolean {
  if (settings.autoApprove) return true;
  const domain = emailDomain(email);
  // Exact domain match: "example.com" approves dev@example.com, not dev@sub.example.com or dev@badexample.com.
  return settings.autoApproveDomains.some((d) => d.toLowerCase() === domain);
}

/** What a sign-up decides on before hashing, read in one statement (readSignupContext). */
export interface SignupContext {
  settings: AllSettings;
  security: SecuritySettings;
  passwordMinLength: number;
  form: RegistrationForm;
  terms: TermsVersion | null;
}

/**
 * The settings (general, Settings › Security, the password minimum), the current registration form
 * and the newest terms, as their own readers would return them, from one statement: the router
 * reads it once per sign-up for the bot checks and the service.
 */
export async function readSignupContext(em: EntityManager): Promise<SignupContext> {
  const row = await readSignupRow(em);
  return {
    settings: settingsFromValues(row.settings),
    security: securitySettingsFrom(row.settings.security as Partial<SecuritySettings> | undefined),
    passwordMinLength: sessionSettingsFrom(row.settings).passwordMinLength,
    form: row.form ? { version: row.form.version, fields: formFieldsSchema.parse(row.form.fields) } : EMPTY_REGISTRATION_FORM,
    terms: row.terms ? toVersion(row.terms) : null,
  };
}

function signupDisabled(): AppError {
  return new AppError('FORBIDDEN', 'SIGNUP_DISABLED', 'Registration is closed on this portal. Please contact the portal administrator.');
}

/**
 * A developer registers on the portal. The account joins the default organisation. With "Require
 * email verification" on (the default) it waits as `unverified` and only a verification link is
 * sent; the policy decides once the owner follows it (verification.service.ts). Otherwise it is
 * active at once when the policy says so, or pending an admin's decision.
 *
 * An address that already has an account gets the very same answer (no enumeration): nothing is
 * created and the owner of the address is told by email that someone tried to register with it.
 * Uniqueness is decided by the lower(email) unique index (insert … on conflict do nothing), so
 * concurrent sign-ups with case variants of one address create exactly one account.
 */
export async function registerDeveloper(
  app: AppServices,
  input: Omit<RegisterInput, 'confirmPassword' | 'answers' | 'formVersion'> & Partial<Pick<RegisterInput, 'answers' | 'formVersion'>>,
  // A disposable address always waits for an admin (Settings › Security), whatever the approval policy.
  // ip/userAgent: the evidence recorded with a terms acceptance.
  // context: what the caller read already this request (readSignupContext), else read here.
  opts: { disposableEmail?: boolean; ip?: string; userAgent?: string; context?: SignupContext } = {},
): Promise<RegisterOutput> {
  const context = opts.context ?? (await readSignupContext(app.em()));
  if (!context.settings.signupEnabled) throw signupDisabled();
  // The admin's sign-up fields and the terms are checked before any hashing.
  const checked = checkSignupExtras(context, input);
  // Hash before the transaction: the same cost on every path, and no lock held while hashing.
  await assertAcceptableNewPassword(input.password, context.passwordMinLength);
  const passwordHash = await hashPassword(input.password);
  const email = input.email.trim();

  // A killed connection before COMMIT is retried once (db/faults.ts): the sign-up is not lost to a 500.
  return transactionalWithRetry(app, async (tx) => {
    const settings = await readSettings(tx);
    // The setting may have been switched off while the password was hashing.
    if (!settings.signupEnabled) throw signupDisabled();
    const decided: 'active' | 'pending' = !opts.disposableEmail && isAutoApproved(settings, email) ? 'active' : 'pending';
    // With verification required, nothing is decided until the owner proves the address
    // (verification.service.ts): a domain rule only ever approves an address its owner controls.
    const status = settings.requireEmailVerification ? 'unverified' : decided;
    const id = randomUUID();
    // Into the default organisation, unless the address is taken; the snapshot comes back with the insert.
    const user = await insertIntoDefaultOrganisation(tx, {
      id,
      email,
      firstName: input.firstName,
      lastName: input.lastName,
      role: 'developer',
      status,
      passwordHash,
      mustChangePassword: false,
    });

    if (!user) {
      await noticeExistingOwner(app, tx, email);
      return { status };
    }

    if (checked.form.version > 0) await setRegistrationAnswers(tx, id, checked.form.version, checked.answers);
    if (checked.terms) await recordTermsAcceptance(app, tx, id, checked.terms.id, { ip: opts.ip ?? '', userAgent: opts.userAgent ?? '' }, 'signup');
    if (status === 'unverified') await issueVerificationLink(app, tx, user, { newAccount: true });
    else await announceDecision(app, tx, user, status);
    await appendEvent(
      tx,
      'user.registered',
      { user, autoApproved: status === 'active', ...(opts.disposableEmail ? { disposableEmail: true } : {}) },
      { actorId: id, userId: id },
    );
    return { status };
  });
}

/**
 * The sign-up fields (checked by answersSchema() of the current form, the register page's very
 * function) and the terms box. A form published while the page was open is FORM_CHANGED: the page
 * reloads the form rather than have answers checked against fields the developer never saw.
 */
function checkSignupExtras(
  context: SignupContext,
  input: { answers?: Record<string, string | boolean>; formVersion?: number; acceptTerms?: number | null | undefined },
): { form: RegistrationForm; answers: Answers; terms: TermsVersion | null } {
  const form = context.form;
  if ((input.formVersion ?? 0) !== form.version) {
    throw new AppError('CONFLICT', 'FORM_CHANGED', 'The registration form has changed. Please review the fields and submit again.', {
      details: { formVersion: form.version },
    });
  }
  const parsed = answersSchema(form.fields).safeParse(input.answers ?? {});
  if (!parsed.success) {
    const fieldErrors: Record<string, string> = {};
    for (const issue of parsed.error.issues) {
      const key = `answers.${issue.path.map(String).join('.')}`;
      if (!(key in fieldErrors)) fieldErrors[key] = issue.message;
    }
    throw new AppError('BAD_REQUEST', 'INVALID_ANSWERS', Object.values(fieldErrors)[0] ?? 'Please check the form', { fieldErrors });
  }
  const terms = requireTickedOf(context.terms, input.acceptTerms);
  return { form, answers: parsed.data, terms };
}

/** Tells the owner of an address someone tried to register with it, at most once an hour. */
async function noticeExistingOwner(app: AppServices, tx: EntityManager, email: string): Promise<void> {
  // The row lock makes concurrent attempts for one address queue up, so the throttle below holds.
  const owner = await lockUserByEmail(tx, email);
  if (!owner) return; // deleted in the meantime
  const since = new Date(app.clock.now().getTime() - SIGNUP_ATTEMPT_NOTICE_INTERVAL_MS);
  if ((await countQueuedSince(tx, owner.id, 'signup-attempt-existing', since)) > 0) return;
  await queueEmail(
    tx,
    'signup-attempt-existing',
    owner.email,
    { firstName: owner.firstName, loginUrl: loginUrl(app), resetUrl: `${app.publicUrl()}/forgot-password` },
    { userId: owner.id },
  );
}
