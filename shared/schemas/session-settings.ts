import * as z from 'zod/mini';
import { PASSWORD_MAX, PASSWORD_MIN } from '../constants.js';

/** Idle timeout bounds (minutes): last-seen is written at most once a minute, so less than 5 would be noise. */
export const SESSION_IDLE_MIN_MINUTES = 5;
export const SESSION_IDLE_MAX_MINUTES = 30 * 24 * 60;
/** Absolute lifetime bounds (hours): one hour to a year. */
export const SESSION_ABSOLUTE_MIN_HOURS = 1;
export const SESSION_ABSOLUTE_MAX_HOURS = 365 * 24;
/** The longest minimum an admin may require (NIST 800-63B-4 asks verifiers to accept at least 64 characters). */
export const PASSWORD_MIN_LENGTH_MAX = 64;

/** Settings > Sessions & passwords (admin.settings.sessions). */
export const sessionSettingsSchema = z
  .object({
    /** A session unused this long ends (sliding). */
    sessionIdleTimeoutMinutes: z
      .int()
      .check(
        z.gte(SESSION_IDLE_MIN_MINUTES, { error: `At least ${SESSION_IDLE_MIN_MINUTES} minutes` }),
        z.lte(SESSION_IDLE_MAX_MINUTES, { error: 'At most 30 days (43,200 minutes)' }),
      ),
    /** A session ends this long after login however busy it is. */
    sessionAbsoluteLifetimeHours: z
      .int()
      .check(
        z.gte(SESSION_ABSOLUTE_MIN_HOURS, { error: `At least ${SESSION_ABSOLUTE_MIN_HOURS} hour` }),
        z.lte(SESSION_ABSOLUTE_MAX_HOURS, { error: 'At most 365 days (8,760 hours)' }),
      ),
    /** Minimum length of a NEW password (existing shorter ones keep working until changed). */
    passwordMinLength: z
      .int()
      .check(
        z.gte(PASSWORD_MIN, { error: `At least ${PASSWORD_MIN} characters` }),
        z.lte(PASSWORD_MIN_LENGTH_MAX, { error: `At most ${PASSWORD_MIN_LENGTH_MAX} characters` }),
      ),
  })
  .check(
    z.refine((v) => v.sessionAbsoluteLifetimeHours * 60 >= v.sessionIdleTimeoutMinutes, {
      path: ['sessionAbsoluteLifetimeHours'],
      error: 'The absolute lifetime cannot be shorter than the idle timeout',
    }),
  );
export type SessionSettings = z.infer<typeof sessionSettingsSchema>;

export const DEFAULT_SESSION_SETTINGS: SessionSettings = {
  sessionIdleTimeoutMinutes: 24 * 60,
  sessionAbsoluteLifetimeHours: 30 * 24,
  passwordMinLength: 12,
};

/** What a page choosing a password needs to know (auth.passwordPolicy, public). */
export const passwordPolicyOutput = z.object({ minLength: z.int(), maxLength: z.int() });
export type PasswordPolicy = z.infer<typeof passwordPolicyOutput>;
export const PASSWORD_MAX_LENGTH = PASSWORD_MAX;
