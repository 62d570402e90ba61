import { okOutput } from '../../shared/schemas/auth.js';
import {
  emailSettingsOutput,
  previewEmailInput,
  previewEmailOutput,
  saveTemplateInput,
  sendTestEmailOutput,
  templateInput,
} from '../../shared/schemas/mail.js';
import { router } from '../trpc/init.js';
import { adminProcedure, recentAuthAdminProcedure } from '../trpc/procedures.js';
import { readMailCapsVersioned, saveMailCaps } from './mail-caps.js';
import { mailCapSettingsOutput, mailSenderSettingsOutput, saveMailCapsInput, saveMailSenderInput } from '../../shared/schemas/settings-version.js';
import { getEmailSettings, previewEmail, resetTemplate, saveSender, saveTemplate, sendTestEmail } from './email-settings.service.js';

/** admin.settings.emails.*: Settings > Emails (per-template words, preview, test email, sender). */
export const emailSettingsRouter = router({
  get: adminProcedure.output(emailSettingsOutput).query(({ ctx }) => getEmailSettings(ctx.app)),

  /** A mutation only so that long drafts travel in a POST body; it changes nothing. */
  preview: adminProcedure
    .input(previewEmailInput)
    .output(previewEmailOutput)
    .mutation(({ ctx, input }) => previewEmail(ctx.app, input)),

  saveTemplate: recentAuthAdminProcedure
    .input(saveTemplateInput)
    .output(okOutput)
    .mutation(async ({ ctx, input }) => {
      await saveTemplate(ctx.app, ctx.auth.user, input);
      return { ok: true as const };
    }),

  resetTemplate: recentAuthAdminProcedure
    .input(templateInput)
    .output(okOutput)
    .mutation(async ({ ctx, input }) => {
      await resetTemplate(ctx.app, ctx.auth.user, input.template);
      return { ok: true as const };
    }),

  sendTest: adminProcedure
    .input(templateInput)
    .output(sendTestEmailOutput)
    .mutation(async ({ ctx, input }) => ({ ok: true as const, ...(await sendTestEmail(ctx.app, ctx.auth.user, input.template)) })),

  saveSender: recentAuthAdminProcedure
    .input(saveMailSenderInput)
    .output(mailSenderSettingsOutput)
    .mutation(async ({ ctx, input }) => {
      const { expectedVersion, ...values } = input;
      const { settings, version } = await saveSender(ctx.app, ctx.auth.user, values, expectedVersion);
      return { ...settings, version };
    }),

  /** The per-recipient cap on non-essential emails (emails/templates.ts, EMAIL_DELIVERY_POLICY). */
  caps: adminProcedure.output(mailCapSettingsOutput).query(async ({ ctx }) => {
    const { settings, version } = await readMailCapsVersioned(ctx.app.em());
    return { ...settings, version };
  }),
  saveCaps: recentAuthAdminProcedure
    .input(saveMailCapsInput)
    .output(mailCapSettingsOutput)
    .mutation(async ({ ctx, input }) => {
      const { expectedVersion, ...values } = input;
      const { settings, version } = await saveMailCaps(ctx.app, ctx.auth.user, values, expectedVersion);
      return { ...settings, version };
    }),
});
