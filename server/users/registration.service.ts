import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppServices } from '../app-services.js';
import type { RegisterInput, RegisterOutput } from '../../shared/schemas/users.js';
import type { AllSettings } from '../../shared/schemas/settings.js';
import { AppError } from '../errors.js';
import { hashPassword } from '../security/password.js';
import { checkNewPassword } from '../settings/session-settings.service.js';
import { appendEvent } from '../events/append.js';
import { countQueuedSince, queueEmail } from '../mail/outbox.js';
import { readSettings } from '../settings/settings.repository.js';
import { defaultOrganisationId } from '../organisations/organisations.repository.js';
import { insertUser, loadUserSnapshot, lockUserByEmail, setRegistrationAnswers } from './users.repository.js';
import { announceDecision, issueVerificationLink } from './registration-mail.js';
import { transactionalWithRetry } from '../db/faults.js';
import { answersSchema, type Answers, type RegistrationForm } from '../../shared/registration-form.js';
import { readCurrentForm } from '../settings/registration-form.service.js';
import { recordTermsAcceptance, requireTicked } from '../terms/terms.service.js';
import type { TermsVersion } from '../../shared/schemas/terms.js';

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
  opts: { disposableEmail?: boolean; ip?: string; userAgent?: string } = {},
): Promise<RegisterOutput> {
  if (!(await readSettings(app.em())).signupEnabled) throw signupDisabled();
  // The admin's sign-up fields and the terms are checked before any hashing.
  const checked = await checkSignupExtras(app.em(), input);
  // Hash before the transaction: the same cost on every path, and no lock held while hashing.
  await checkNewPassword(app.em(), input.password);
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
    const orgId = await defaultOrganisationId(tx);
    const inserted = await insertUser(
      tx,
      {
        id,
        email,
        firstName: input.firstName,
        lastName: input.lastName,
        organisationId: orgId,
        role: 'developer',
        status,
        passwordHash,
        mustChangePassword: false,
      },
      { ifEmailFree: true },
    );

    if (!inserted) {
      await noticeExistingOwner(app, tx, email);
      return { status };
    }

    if (checked.form.version > 0) await setRegistrationAnswers(tx, id, checked.form.version, checked.answers);
    if (checked.terms) await recordTermsAcceptance(app, tx, id, checked.terms.id, { ip: opts.ip ?? '', userAgent: opts.userAgent ?? '' }, 'signup');
    const user = (await loadUserSnapshot(tx, id))!;
    if (status === 'unverified') await issueVerificationLink(app, tx, user);
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
async function checkSignupExtras(
  em: EntityManager,
  input: { answers?: Record<string, string | boolean>; formVersion?: number; acceptTerms?: number | null | undefined },
): Promise<{ form: RegistrationForm; answers: Answers; terms: TermsVersion | null }> {
  const form = await readCurrentForm(em);
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
  const terms = await requireTicked(em, input.acceptTerms);
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
