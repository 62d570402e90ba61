import type { EntityManager } from '@mikro-orm/postgresql';
import type { FormField, UserAnswersOutput } from '../../shared/registration-form.js';
import { readCurrentForm, readFormVersion } from '../settings/registration-form.service.js';
import { registrationAnswersOf } from './users.repository.js';

/**
 * A user's answers labelled by the version of the form they answered (a field removed since keeps
 * its label and answer; `removed` says it is no longer on the current form).
 */
export async function userAnswers(em: EntityManager, userId: string): Promise<UserAnswersOutput> {
  const [row] = await registrationAnswersOf(em, [userId]);
  if (!row) return { formVersion: null, items: [] };
  const [answered, current] = await Promise.all([row.formVersion ? readFormVersion(em, row.formVersion) : null, readCurrentForm(em)]);
  const currentKeys = new Set(current.fields.map((f) => f.key));
  const fields: FormField[] = answered?.fields ?? [];
  const items: UserAnswersOutput['items'] = [];
  for (const f of fields) {
    const value = row.answers[f.key];
    if (value === undefined) continue;
    items.push({ key: f.key, label: f.label, value, removed: !currentKeys.has(f.key) });
  }
  // Answers whose field the stored version does not know (should not happen): shown under their key.
  for (const [key, value] of Object.entries(row.answers)) {
    if (!fields.some((f) => f.key === key)) items.push({ key, label: key, value, removed: !currentKeys.has(key) });
  }
  return { formVersion: row.formVersion, items };
}

/**
 * The Pending queue's extra columns: the current form's fields marked "show in the pending queue",
 * and each listed user's answers to them.
 */
export async function pendingQueueAnswers(em: EntityManager, userIds: string[]) {
  const current = await readCurrentForm(em);
  const columns = current.fields.filter((f) => f.showInPendingQueue).map((f) => ({ key: f.key, label: f.label, type: f.type }));
  const rows = columns.length ? await registrationAnswersOf(em, userIds) : [];
  const answers: Record<string, Record<string, string | boolean>> = {};
  for (const r of rows) answers[r.userId] = Object.fromEntries(columns.filter((c) => r.answers[c.key] !== undefined).map((c) => [c.key, r.answers[c.key]!]));
  return { columns, answers };
}
