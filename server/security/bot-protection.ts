import { createChallenge, randomInt, verifySolution, type Challenge, type Solution } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/sha';
import { disposableEmailBlocklistSet } from 'disposable-email-domains-js';
import type { AppServices } from '../app-services.js';
import type { BotFields, BotPurpose, ChallengeOutput, SecuritySettings } from '../../shared/schemas/security.js';
import { AppError } from '../errors.js';
import { readSecuritySettings } from './security-settings.js';
import { markChallengeUsed } from './security.repository.js';
import { derivedKey, hmacHex, sameHex } from './secret.js';

/*
 * Bot protection without third parties (issue 10, item 5): an ALTCHA proof-of-work solved by the
 * browser, verified here and usable once (across processes: used signatures are kept in
 * PostgreSQL until the challenge expires), a honeypot field, and a minimum time between page load
 * and submit, measured from a signed timestamp handed out with the challenge.
 */

const ALGORITHM = 'SHA-256';
const CHALLENGE_TTL_MS = 20 * 60_000;
/** A form left open longer than this must be reloaded (its token no longer counts). */
const FORM_TOKEN_TTL_MS = 24 * 60 * 60_000;

export type BotRefusalReason =
  | 'honeypot'
  | 'too_fast'
  | 'form_token_missing'
  | 'form_token_invalid'
  | 'pow_missing'
  | 'pow_invalid'
  | 'pow_expired'
  | 'pow_replayed'
  | 'pow_too_easy'
  | 'email_domain_blocked'
  | 'email_disposable';

const refusalHooks: ((reason: BotRefusalReason, purpose: BotPurpose) => void)[] = [];

/** Called on every refused attempt (metrics count them by reason). */
export function onBotRefused(hook: (reason: BotRefusalReason, purpose: BotPurpose) => void): void {
  refusalHooks.push(hook);
}

const MESSAGES: Partial<Record<BotRefusalReason, string>> = {
  pow_missing: 'Please wait until the automatic check below has finished, then submit again.',
  too_fast: 'That was quick! Please check the form, then submit again.',
  pow_expired: 'The automatic check has expired. Please reload the page and try again.',
};
const GENERIC = 'The automatic check did not pass. Please reload the page and try again.';

/** Logs (stable `event: 'bot_refused'` field), counts and throws. Nothing is stored. */
export function refuseBot(app: AppServices, ip: string, purpose: BotPurpose, reason: BotRefusalReason, message?: string): never {
  app.log.warn('bot protection refused a request', { event: 'bot_refused', reason, purpose, ip });
  for (const hook of refusalHooks) {
    try {
      hook(reason, purpose);
    } catch {
      // a failing counter never turns a refusal into a 500
    }
  }
  const code = reason === 'email_domain_blocked' || reason === 'email_disposable' ? 'FORBIDDEN' : 'BAD_REQUEST';
  const why = code === 'FORBIDDEN' ? 'EMAIL_DOMAIN_REFUSED' : 'BOT_CHECK_FAILED';
  throw new AppError(code, why, message ?? MESSAGES[reason] ?? GENERIC, { details: { botCheck: reason } });
}

function formToken(key: string, purpose: BotPurpose, issuedAt: number): string {
  const body = `${purpose}.${issuedAt}`;
  return `${body}.${hmacHex(key, body)}`;
}

/** A signed ALTCHA challenge for one form, with `maxNumber` tries at most (the answer is uniform below it). */
export async function makePowChallenge(app: AppServices, purpose: BotPurpose, maxNumber: number): Promise<Challenge> {
  const now = app.clock.now().getTime();
  return createChallenge({
    algorithm: ALGORITHM,
    cost: 1,
    counter: randomInt(maxNumber),
    deriveKey,
    // The library compares expiry with the real clock.
    expiresAt: new Date(Date.now() + CHALLENGE_TTL_MS),
    data: { purpose, issuedAt: now, maxNumber },
    hmacSignatureSecret: await derivedKey(app, 'altcha'),
    hmacKeySignatureSecret: await derivedKey(app, 'altcha-key'),
  });
}

/** auth.challenge: what a protected form needs before it can be submitted. */
export async function issueFormChallenge(app: AppServices, purpose: BotPurpose, powMaxNumber?: number): Promise<ChallengeOutput> {
  const settings = await readSecuritySettings(app.em());
  const issuedAt = app.clock.now().getTime();
  const max = powMaxNumber ?? (settings.powEnabled ? settings.powMaxNumber : null);
  return {
    challenge: max ? JSON.stringify(await makePowChallenge(app, purpose, max)) : null,
    formToken: formToken(await derivedKey(app, 'form-token'), purpose, issuedAt),
    honeypot: settings.honeypotEnabled,
    minSubmitSeconds: settings.minSubmitSeconds,
  };
}

interface Payload {
  challenge: Challenge;
  solution: Solution;
}

function decodePayload(raw: string): Payload | null {
  try {
    const json: unknown = JSON.parse(Buffer.from(raw, 'base64').toString('utf8'));
    if (!json || typeof json !== 'object') return null;
    // Sent by the client: nothing in it is trusted until checked.
    const p = json as { challenge?: unknown; solution?: unknown };
    const c = p.challenge;
    if (!c || typeof c !== 'object' || !('parameters' in c) || !c.parameters || typeof c.parameters !== 'object') return null;
    if (!p.solution || typeof p.solution !== 'object') return null;
    return p as Payload;
  } catch {
    return null;
  }
}

/**
 * Checks an ALTCHA payload: signed by us, for this form, at least `minMaxNumber` hard, solved,
 * not expired, and never used before (anywhere). Returns the refusal reason, or null when it passes.
 */
export async function checkPow(app: AppServices, purpose: BotPurpose, raw: string | undefined, minMaxNumber = 0): Promise<BotRefusalReason | null> {
  if (!raw) return 'pow_missing';
  const payload = decodePayload(raw);
  if (!payload) return 'pow_invalid';
  let result;
  try {
    result = await verifySolution({
      challenge: payload.challenge,
      solution: payload.solution,
      deriveKey,
      hmacSignatureSecret: await derivedKey(app, 'altcha'),
      hmacKeySignatureSecret: await derivedKey(app, 'altcha-key'),
    });
  } catch {
    return 'pow_invalid';
  }
  if (result.expired) return 'pow_expired';
  if (!result.verified) return 'pow_invalid';
  // The signature covers the parameters, so their data is ours.
  const data = payload.challenge.parameters.data ?? {};
  if (data.purpose !== purpose) return 'pow_invalid';
  if (Number(data.maxNumber ?? 0) < minMaxNumber) return 'pow_too_easy';
  const expiresAt = new Date((payload.challenge.parameters.expiresAt ?? 0) * 1000 || Date.now() + CHALLENGE_TTL_MS);
  if (!(await markChallengeUsed(app.em(), payload.challenge.signature!, expiresAt))) return 'pow_replayed';
  return null;
}

async function checkFormToken(app: AppServices, purpose: BotPurpose, token: string | undefined, minSubmitSeconds: number): Promise<BotRefusalReason | null> {
  if (!token) return 'form_token_missing';
  const m = /^([a-z]+)\.(\d{1,15})\.([0-9a-f]{64})$/.exec(token);
  if (!m || m[1] !== purpose) return 'form_token_invalid';
  const issuedAt = Number(m[2]);
  if (!sameHex(formToken(await derivedKey(app, 'form-token'), purpose, issuedAt), token)) return 'form_token_invalid';
  const age = app.clock.now().getTime() - issuedAt;
  if (age > FORM_TOKEN_TTL_MS) return 'form_token_invalid';
  if (age < minSubmitSeconds * 1000) return 'too_fast';
  return null;
}

/**
 * The bot checks of a protected form (sign-up, reset request, invite acceptance), each as its
 * setting says. Call first, before any other work; throws BOT_CHECK_FAILED on refusal.
 */
export async function enforceBotProtection(
  app: AppServices,
  ip: string,
  purpose: BotPurpose,
  fields: BotFields | undefined,
  // Settings › Security when the caller read them already this request (sign-up reads everything it needs in one statement).
  read?: SecuritySettings,
): Promise<SecuritySettings> {
  const settings = read ?? (await readSecuritySettings(app.em()));
  const f = fields ?? {};
  if (settings.honeypotEnabled && f.website) refuseBot(app, ip, purpose, 'honeypot');
  if (settings.minSubmitSeconds > 0) {
    const why = await checkFormToken(app, purpose, f.formToken, settings.minSubmitSeconds);
    if (why) refuseBot(app, ip, purpose, why);
  }
  if (settings.powEnabled) {
    const why = await checkPow(app, purpose, f.altcha);
    if (why) refuseBot(app, ip, purpose, why);
  }
  return settings;
}

let disposable: Set<string> | null = null;

/** Whether the address's domain (or a parent domain) is on the disposable-domains list. */
export function isDisposableDomain(domain: string): boolean {
  disposable ??= disposableEmailBlocklistSet();
  const labels = domain.toLowerCase().split('.');
  for (let i = 0; i < labels.length - 1; i++) if (disposable.has(labels.slice(i).join('.'))) return true;
  return false;
}

function domainOf(email: string): string {
  return email
    .slice(email.lastIndexOf('@') + 1)
    .trim()
    .toLowerCase();
}

/**
 * The sign-up email's domain against the block list and the disposable-domains policy. Returns
 * 'pending' when the registration must wait for an admin (disposable, policy "pending").
 */
export function checkEmailDomain(app: AppServices, ip: string, settings: SecuritySettings, email: string): 'ok' | 'pending' {
  const domain = domainOf(email);
  if (settings.blockedEmailDomains.some((d) => domain === d || domain.endsWith(`.${d}`))) {
    refuseBot(app, ip, 'signup', 'email_domain_blocked', 'Registrations from this email domain are not accepted. Please use another address.');
  }
  if (settings.disposableEmails !== 'allow' && isDisposableDomain(domain)) {
    if (settings.disposableEmails === 'refuse') {
      refuseBot(app, ip, 'signup', 'email_disposable', 'Disposable email addresses are not accepted. Please use a permanent address.');
    }
    return 'pending';
  }
  return 'ok';
}
