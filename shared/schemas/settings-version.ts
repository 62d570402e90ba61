import * as z from 'zod/mini';
import { mailCapSettingsSchema } from './mail-safety.js';
import { mailSenderSettingsSchema } from './settings.js';
import { retentionSettingsSchema } from './retention.js';
import { securitySettingsSchema } from './security.js';
import { sessionSettingsSchema } from './session-settings.js';

/**
 * Settings pages read their values with a `version` and save with the `expectedVersion` their form
 * was loaded with: a save applies only while the settings are still at it (SETTINGS_CHANGED, with
 * the current values and version, otherwise), so a form opened before someone else's save does not
 * silently put their changes back. The version goes up with every change, whoever makes it.
 */
const version = { version: z.int() };
const expected = {
  expectedVersion: z.optional(z.number({ error: 'Invalid version' }).check(z.int({ error: 'Invalid version' }), z.gte(1, { error: 'Invalid version' }))),
};

export const securitySettingsOutput = z.safeExtend(securitySettingsSchema, version);
export const updateSecuritySettingsInput = z.safeExtend(securitySettingsSchema, expected);
export type SecuritySettingsVersioned = z.infer<typeof securitySettingsOutput>;

export const sessionSettingsOutput = z.safeExtend(sessionSettingsSchema, version);
export const updateSessionSettingsInput = z.safeExtend(sessionSettingsSchema, expected);
export type SessionSettingsVersioned = z.infer<typeof sessionSettingsOutput>;

export const retentionSettingsOutput = z.safeExtend(retentionSettingsSchema, version);
export const updateRetentionSettingsInput = z.safeExtend(retentionSettingsSchema, expected);
export type RetentionSettingsVersioned = z.infer<typeof retentionSettingsOutput>;

export const mailCapSettingsOutput = z.safeExtend(mailCapSettingsSchema, version);
export const saveMailCapsInput = z.safeExtend(mailCapSettingsSchema, expected);
export type MailCapSettingsVersioned = z.infer<typeof mailCapSettingsOutput>;

export const mailSenderSettingsOutput = z.safeExtend(mailSenderSettingsSchema, version);
export const saveMailSenderInput = z.safeExtend(mailSenderSettingsSchema, expected);
export type MailSenderSettingsVersioned = z.infer<typeof mailSenderSettingsOutput>;
