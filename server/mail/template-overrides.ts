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
  const out: Partial<Record<EmailTemplateName, TemplateOverride>> = {};
  for (const r of rows) {
    const name = r.key.slice(PREFIX.length) as EmailTemplateName;
    if (EMAIL_TEMPLATE_NAMES.includes(name) && r.value && typeof r.value === 'object') out[name] = r.value;
  }
  return out;
}
