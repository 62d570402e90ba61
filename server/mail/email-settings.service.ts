import type { AppServices } from '../app-services.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { SessionUser } from '../../shared/schemas/auth.js';
import type { MailSenderSettings } from '../../shared/schemas/settings.js';
import type { EmailSettingsOutput, PreviewEmailOutput, SaveTemplateInput } from '../../shared/schemas/mail.js';
import { EMAIL_TEMPLATE_NAMES, type EmailTemplateName } from '../../emails/templates.js';
import { TEMPLATE_CONTENT, placeholdersOf } from '../../emails/content.js';
import { AppError } from '../errors.js';
import { appendEvent } from '../events/append.js';
import { queueEmail } from './outbox.js';
import { loadEmailRenderer, sampleVariables, unknownPlaceholders } from './renderer.js';
import { overrideKey, readTemplateOverrides, type TemplateOverride } from './template-overrides.js';
import { formatAddress, resolveSender } from './transports.js';
import { transportKind } from './mailbox.service.js';
import { deleteSetting, readSetting, readSettings, writeSetting } from '../settings/settings.repository.js';
import { lockForTransaction } from '../db/locks.js';
import { saveSettingKeys, settingsGroupVersion } from '../settings/settings-version.js';

const normalize = (s: string) => s.replace(/\r\n?/g, '\n').trim();

/** Every template with its current words (override or shipped), the sender, and the transport. */
export async function getEmailSettings(app: AppServices): Promise<EmailSettingsOutput> {
  const em = app.em();
  // The sender's version before its values (settings-version.ts, readVersioned: never newer than what it shows).
  const senderVersion = await settingsGroupVersion(em, SENDER_KEYS);
  const [settings, overrides] = await Promise.all([readSettings(em), readTemplateOverrides(em)]);
  return {
    templates: EMAIL_TEMPLATE_NAMES.map((name) => {
      const c = TEMPLATE_CONTENT[name];
      const o = overrides[name];
      return {
        name,
        label: c.label,
        description: c.description,
        subject: o?.subject || c.subject,
        mainText: o?.mainText || c.mainText,
        defaultSubject: c.subject,
        defaultMainText: c.mainText,
        customized: Boolean(o?.subject || o?.mainText),
        placeholders: placeholdersOf(name),
      };
    }),
    sender: {
      mailFromName: settings.mailFromName,
      mailFromAddress: settings.mailFromAddress,
      effectiveFrom: formatAddress(resolveSender(app.config, settings, app.publicUrl())),
      version: senderVersion,
    },
    transport: transportKind(app),
  };
}

/** Renders a draft with the real template and sample values, exactly as the worker would send it. */
export async function previewEmail(
  app: AppServices,
  input: { template: EmailTemplateName; subject?: string | undefined; mainText?: string | undefined },
): Promise<PreviewEmailOutput> {
  const em = app.em();
  const [renderer, settings, overrides] = await Promise.all([loadEmailRenderer(), readSettings(em), readTemplateOverrides(em)]);
  const saved = overrides[input.template];
  const subject = input.subject ?? saved?.subject ?? null;
  const mainText = input.mainText ?? saved?.mainText ?? null;
  const publicUrl = app.publicUrl();
  const rendered = renderer.render(input.template, sampleVariables(input.template, publicUrl), {
    portalName: settings.portalName,
    publicUrl,
    subject,
    mainText,
  });
  const unknown = [...new Set([...unknownPlaceholders(input.template, subject ?? ''), ...unknownPlaceholders(input.template, mainText ?? '')])];
  return {
    subject: rendered.subject,
    html: rendered.html,
    text: rendered.text,
    from: formatAddress(resolveSender(app.config, settings, publicUrl)),
    unknownPlaceholders: unknown,
  };
}

function changeKey(template: EmailTemplateName) {
  return `emails.${template}`;
}

/**
 * Saves a template's subject and main text. Words equal to the shipped ones are not stored, so a
 * later product update of the defaults reaches this portal. Unknown placeholders are refused.
 */
export async function saveTemplate(app: AppServices, actor: SessionUser, input: SaveTemplateInput): Promise<void> {
  const fieldErrors: Record<string, string> = {};
  const known = placeholdersOf(input.template)
    .map((p) => `{{${p}}}`)
    .join(', ');
  for (const field of ['subject', 'mainText'] as const) {
    const bad = unknownPlaceholders(input.template, input[field]);
    if (bad.length) fieldErrors[field] = `Unknown placeholder ${bad.map((b) => `{{${b}}}`).join(', ')}. Available: ${known}`;
  }
  if (Object.keys(fieldErrors).length) {
    throw new AppError('BAD_REQUEST', 'UNKNOWN_PLACEHOLDER', 'Please correct the highlighted fields', { fieldErrors });
  }
  const c = TEMPLATE_CONTENT[input.template];
  const next: TemplateOverride = {};
  if (normalize(input.subject) !== normalize(c.subject)) next.subject = input.subject.trim();
  if (normalize(input.mainText) !== normalize(c.mainText)) next.mainText = normalize(input.mainText);

  await app.em().transactional(async (tx) => {
    await lockForTransaction(tx, 'settings');
    const current = (await readSetting<TemplateOverride>(tx, overrideKey(input.template))) ?? {};
    if (JSON.stringify(current) === JSON.stringify(next)) return;
    if (next.subject === undefined && next.mainText === undefined) await deleteSetting(tx, overrideKey(input.template));
    else await writeSetting(tx, overrideKey(input.template), next);
    await appendEvent(tx, 'settings.changed', { changes: { [changeKey(input.template)]: { from: current, to: next } } }, { actorId: actor.id });
  });
}

/** "Reset to default": forgets the override, so the shipped words apply again. */
export async function resetTemplate(app: AppServices, actor: SessionUser, template: EmailTemplateName): Promise<void> {
  await app.em().transactional(async (tx) => {
    await lockForTransaction(tx, 'settings');
    const current = await readSetting<TemplateOverride>(tx, overrideKey(template));
    if (current === undefined) return;
    await deleteSetting(tx, overrideKey(template));
    await appendEvent(tx, 'settings.changed', { changes: { [changeKey(template)]: { from: current, to: {} } } }, { actorId: actor.id });
  });
}

/** Queues the template (saved version, sample values) to the admin's own address. */
export async function sendTestEmail(app: AppServices, actor: SessionUser, template: EmailTemplateName): Promise<{ to: string }> {
  await app.em().transactional(async (tx) => {
    // Sample values only: a test email never carries a working one-time link.
    await queueEmail(tx, template, actor.email, sampleVariables(template, app.publicUrl()), { userId: actor.id });
  });
  return { to: actor.email };
}

const SENDER_KEYS = ['mailFromName', 'mailFromAddress'] as const;

async function readSender(em: EntityManager): Promise<MailSenderSettings> {
  const s = await readSettings(em);
  return { mailFromName: s.mailFromName, mailFromAddress: s.mailFromAddress };
}

/**
 * Sender name and address (Settings > Emails). Empty values fall back to MAIL_FROM, then the portal's
 * name. With `expectedVersion` (the version the admin's form was loaded with), only while the
 * sender is still at it: SETTINGS_CHANGED with the current one otherwise, under the settings lock.
 */
export function saveSender(
  app: AppServices,
  actor: SessionUser,
  input: MailSenderSettings,
  expectedVersion?: number,
): Promise<{ settings: MailSenderSettings; version: number }> {
  const next: MailSenderSettings = { mailFromName: input.mailFromName.trim(), mailFromAddress: input.mailFromAddress.trim() };
  return saveSettingKeys(app, actor.id, { keys: SENDER_KEYS, read: readSender, next, expectedVersion });
}
