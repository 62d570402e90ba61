import * as z from 'zod/mini';
import { emailSchema, lineText } from './common.js';

// A bare domain like example.com or dev.example.co.uk: labels of letters, digits and inner hyphens.
export const domainSchema = z.string().check(
  z.trim(),
  z.toLowerCase(),
  z.maxLength(253, { error: 'Domain is too long' }),
  z.regex(/^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, {
    error: 'Enter a domain like example.com (no @, no wildcards, no spaces)',
  }),
);

export const generalSettingsSchema = z.object({
  portalName: lineText('Portal name', 80),
  autoApprove: z.boolean(),
  signupEnabled: z.boolean(),
  autoApproveDomains: z.array(domainSchema).check(z.maxLength(200, { error: 'At most 200 domains' })),
  inviteLifetimeDays: z.int().check(z.gte(1, { error: 'At least 1 day' }), z.lte(90, { error: 'At most 90 days' })),
  /** A self-registration stays `unverified` until its owner follows the emailed link; only then does the approval policy decide. */
  requireEmailVerification: z.boolean(),
  /** Unverified registrations older than this are deleted by the purge. */
  unverifiedLifetimeDays: z.int().check(z.gte(1, { error: 'At least 1 day' }), z.lte(90, { error: 'At most 90 days' })),
});
export type GeneralSettings = z.infer<typeof generalSettingsSchema>;

/** The general settings as read, with their version (the REST API's ETag: it goes up with every change). */
export const generalSettingsOutput = z.object({ ...generalSettingsSchema.shape, version: z.int() });
export type GeneralSettingsVersioned = z.infer<typeof generalSettingsOutput>;

/**
 * A save of the general settings. `expectedVersion`: the version the admin's form was loaded with;
 * the save then applies only while the settings are still as loaded (SETTINGS_CHANGED, with the
 * current settings and version, otherwise), so a form opened before someone else's save does not
 * silently put their changed fields back.
 */
export const updateGeneralSettingsInput = z.object({
  ...generalSettingsSchema.shape,
  expectedVersion: z.optional(z.number({ error: 'Invalid version' }).check(z.int({ error: 'Invalid version' }), z.gte(1, { error: 'Invalid version' }))),
});

export const mailSenderSettingsSchema = z.object({
  mailFromName: lineText('Sender name', 80, { required: false }).check(
    z.refine((v) => !/[\r\n"<>]/.test(v), { error: 'Sender name cannot contain quotes, angle brackets or line breaks' }),
  ),
  // Empty: MAIL_FROM or no-reply@<host>. Otherwise the one email rule (shared/email.ts; IDN as punycode).
  mailFromAddress: z.union([z.literal(''), emailSchema]),
});
export type MailSenderSettings = z.infer<typeof mailSenderSettingsSchema>;

export const DEFAULT_SETTINGS: GeneralSettings & MailSenderSettings = {
  portalName: 'Admit Developer Portal',
  autoApprove: false,
  signupEnabled: true,
  autoApproveDomains: [],
  inviteLifetimeDays: 7,
  requireEmailVerification: true,
  unverifiedLifetimeDays: 7,
  mailFromName: 'Admit Developer Portal',
  mailFromAddress: '',
};
export type AllSettings = typeof DEFAULT_SETTINGS;
