import * as z from 'zod/mini';
import { domainSchema } from './settings.js';

/** What happens to a sign-up from a disposable email domain. */
export const DISPOSABLE_EMAIL_POLICIES = ['allow', 'pending', 'refuse'] as const;
export type DisposableEmailPolicy = (typeof DISPOSABLE_EMAIL_POLICIES)[number];

/** Proof-of-work difficulty bounds: the expected number of hashes is about half the maximum. */
export const POW_MAX_NUMBER_MIN = 1_000;
export const POW_MAX_NUMBER_MAX = 10_000_000;

/** Settings > Security (admin.settings.security). */
export const securitySettingsSchema = z.object({
  /** Proof-of-work (ALTCHA) on sign-up, password-reset requests and invite acceptance. */
  powEnabled: z.boolean(),
  /** Difficulty of those challenges: the solver tries on average half this many hashes. */
  powMaxNumber: z
    .int()
    .check(
      z.gte(POW_MAX_NUMBER_MIN, { error: `At least ${POW_MAX_NUMBER_MIN.toLocaleString('en')}` }),
      z.lte(POW_MAX_NUMBER_MAX, { error: `At most ${POW_MAX_NUMBER_MAX.toLocaleString('en')}` }),
    ),
  /** A hidden form field people never fill in; a filled one is a bot. */
  honeypotEnabled: z.boolean(),
  /** Refuse forms submitted sooner than this after the page loaded (0 turns the check off). */
  minSubmitSeconds: z.int().check(z.gte(0, { error: 'At least 0 seconds' }), z.lte(60, { error: 'At most 60 seconds' })),
  disposableEmails: z.enum(DISPOSABLE_EMAIL_POLICIES, { error: 'Choose allow, pending or refuse' }),
  /** Sign-ups from these domains (and their subdomains) are refused. */
  blockedEmailDomains: z.array(domainSchema).check(z.maxLength(1000, { error: 'At most 1,000 domains' })),
  /** Failed logins from one address (IPv6: one /64) for one account before that address is refused for the window. */
  loginFailuresPerIp: z.int().check(z.gte(3, { error: 'At least 3' }), z.lte(100, { error: 'At most 100' })),
  /** The window of that count and the refusal, in minutes. */
  loginFailureWindowMinutes: z.int().check(z.gte(1, { error: 'At least 1 minute' }), z.lte(1440, { error: 'At most 1,440 minutes' })),
  /** Failed logins for one account (from anywhere) before every login to it must solve a harder proof-of-work. */
  loginFailuresPerAccount: z.int().check(z.gte(3, { error: 'At least 3' }), z.lte(1000, { error: 'At most 1,000' })),
  /** Failures are forgotten after this many hours without a new one (Keycloak's "failure reset time"). */
  loginFailureResetHours: z.int().check(z.gte(1, { error: 'At least 1 hour' }), z.lte(168, { error: 'At most 168 hours (7 days)' })),
  /** How much harder the login challenge is than the sign-up one (it grows further with failures). */
  loginPowFactor: z.int().check(z.gte(1, { error: 'At least 1' }), z.lte(100, { error: 'At most 100' })),
});
export type SecuritySettings = z.infer<typeof securitySettingsSchema>;

export const DEFAULT_SECURITY_SETTINGS: SecuritySettings = {
  powEnabled: true,
  powMaxNumber: 50_000,
  honeypotEnabled: true,
  minSubmitSeconds: 3,
  disposableEmails: 'pending',
  blockedEmailDomains: [],
  loginFailuresPerIp: 5,
  loginFailureWindowMinutes: 15,
  loginFailuresPerAccount: 10,
  loginFailureResetHours: 12,
  loginPowFactor: 10,
};

/** Which form a challenge is for (it is bound to it: a sign-up challenge does not pass a reset). */
export const BOT_PURPOSES = ['signup', 'reset', 'invite', 'login'] as const;
export type BotPurpose = (typeof BOT_PURPOSES)[number];

export const challengeInput = z.object({
  purpose: z.enum(BOT_PURPOSES, { error: 'Unknown form' }),
  /** Login only: the account's email (its challenge is harder while it is under attack). */
  email: z.optional(z.string().check(z.maxLength(320))),
});
export type ChallengeInput = z.infer<typeof challengeInput>;

export const challengeOutput = z.object({
  /** The ALTCHA challenge as JSON (the widget's `challenge` attribute), or null when proof-of-work is off. */
  challenge: z.nullable(z.string()),
  /** Signed issue time: the minimum time between page load and submit is measured from it. */
  formToken: z.string(),
  honeypot: z.boolean(),
  minSubmitSeconds: z.int(),
});
export type ChallengeOutput = z.infer<typeof challengeOutput>;

/**
 * The bot-protection fields a protected form sends along: the widget's payload, the form token
 * from auth.challenge and the honeypot (named like a field a bot would fill in).
 */
export const botFieldsSchema = z.object({
  altcha: z.optional(z.string().check(z.maxLength(8_000))),
  formToken: z.optional(z.string().check(z.maxLength(500))),
  website: z.optional(z.string().check(z.maxLength(500))),
});
export type BotFields = z.infer<typeof botFieldsSchema>;

export const LOCKOUT_STATES = ['normal', 'challenged'] as const;

/** Admin › user page: the account's failed-login state (admin.users.lockout.get). */
export const lockoutStateOutput = z.object({
  state: z.enum(LOCKOUT_STATES),
  failures: z.int(),
  lastFailureAt: z.nullable(z.string()),
  challengedSince: z.nullable(z.string()),
  /** The account's addresses (IPv6: /64) currently refused after too many failures from them. */
  blockedAddresses: z.int(),
});
export type LockoutStateOutput = z.infer<typeof lockoutStateOutput>;

export const lockoutUserInput = z.object({ userId: z.uuid({ error: 'Invalid user id' }) });
