import { z } from 'zod';

// A bare domain like example.com or dev.example.co.uk: labels of letters, digits and inner hyphens.
export const domainSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(253, { message: 'Domain is too long' })
  .regex(/^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, {
    message: 'Enter a domain like example.com (no @, no wildcards, no spaces)',
  });

export const generalSettingsSchema = z.object({
  portalName: z.string().trim().min(1, { message: 'Portal name is required' }).max(80, { message: 'Portal name must be at most 80 characters' }),
  autoApprove: z.boolean(),
  signupEnabled: z.boolean(),
  autoApproveDomains: z.array(domainSchema).max(200, { message: 'At most 200 domains' }),
  inviteLifetimeDays: z.number().int().min(1, { message: 'At least 1 day' }).max(90, { message: 'At most 90 days' }),
});
export type GeneralSettings = z.infer<typeof generalSettingsSchema>;

export const mailSenderSettingsSchema = z.object({
  mailFromName: z.string().trim().max(80, { message: 'Sender name must be at most 80 characters' }).refine((v) => !/[\r\n"<>]/.test(v), { message: 'Sender name cannot contain quotes, angle brackets or line breaks' }),
  mailFromAddress: z.union([z.literal(''), z.string().trim().max(254).pipe(z.email({ message: 'Enter a valid email address' }))]),
});
export type MailSenderSettings = z.infer<typeof mailSenderSettingsSchema>;

export const DEFAULT_SETTINGS: GeneralSettings & MailSenderSettings = {
  portalName: 'Admit Developer Portal',
  autoApprove: false,
  signupEnabled: true,
  autoApproveDomains: [],
  inviteLifetimeDays: 7,
  mailFromName: 'Admit Developer Portal',
  mailFromAddress: '',
};
export type AllSettings = typeof DEFAULT_SETTINGS;
