import type { EntityManager } from '@mikro-orm/postgresql';
import { EMAIL_TEMPLATE_NAMES, type EmailTemplateName } from '../../emails/templates.js';

/** An admin's replacement words for one template (Settings > Emails). Absent fields use the shipped text. */
export interface TemplateOverride {
  subject?: string | null;
  mainText?: string | null;
}

const PREFIX = 'email.template.';
export const overrideKey = (template: EmailTemplateName) => `${PREFIX}${template}`;

/** Every saved override, by template. One query; the worker calls it once per batch. */
export async function readTemplateOverrides(em: EntityManager): Promise<Partial<Record<EmailTemplateName, TemplateOverride>>> {
  const rows = await em.execute<{ key: string; value: unknown }[]>(`select key, value from setting where key like ?`, [`${PREFIX}%`]);
  return templateOverridesFrom(Object.fromEntries(rows.map((r) => [r.key, r.value])));
}

/** The overrides among stored setting values by key (readTemplateOverrides, or a statement that read the settings with more). */
export function templateOverridesFrom(values: Record<string, unknown>): Partial<Record<EmailTemplateName, TemplateOverride>> {
  const out: Partial<Record<EmailTemplateName, TemplateOverride>> = {};
  for (const [key, value] of Object.entries(values)) {
    if (!key.startsWith(PREFIX)) continue;
    const name = key.slice(PREFIX.length) as EmailTemplateName;
    if (EMAIL_TEMPLATE_NAMES.includes(name) && value && typeof value === 'object') out[name] = value;
  }
  return out;
}
