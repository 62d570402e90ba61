import type { AppServices } from '../app-services.js';
import type { FieldChange } from '../../shared/events.js';
import type { SessionUser } from '../../shared/schemas/auth.js';
import type { GeneralSettings } from '../../shared/schemas/settings.js';
import { appendEvent } from '../events/append.js';
import { readSettings, writeSetting } from './settings.repository.js';
import { lockForTransaction } from '../db/locks.js';

const GENERAL_KEYS = [
  'portalName',
  'autoApprove',
  'signupEnabled',
  'autoApproveDomains',
  'inviteLifetimeDays',
  'requireEmailVerification',
  'unverifiedLifetimeDays',
] as const satisfies readonly (keyof GeneralSettings)[];

function pickGeneral(s: GeneralSettings): GeneralSettings {
  return {
    portalName: s.portalName,
    autoApprove: s.autoApprove,
    signupEnabled: s.signupEnabled,
    autoApproveDomains: [...s.autoApproveDomains],
    inviteLifetimeDays: s.inviteLifetimeDays,
    requireEmailVerification: s.requireEmailVerification,
    unverifiedLifetimeDays: s.unverifiedLifetimeDays,
  };
}

export async function getGeneralSettings(app: AppServices): Promise<GeneralSettings> {
  return pickGeneral(await readSettings(app.em()));
}

/**
 * Saves Settings > General (the input is already validated by generalSettingsSchema). Only the
 * keys that changed are written, and one `settings.changed` event lists them with the acting admin.
 */
export async function updateGeneralSettings(app: AppServices, actor: SessionUser, input: GeneralSettings): Promise<GeneralSettings> {
  const next: GeneralSettings = { ...pickGeneral(input), autoApproveDomains: [...new Set(input.autoApproveDomains.map((d) => d.toLowerCase()))] };
  return app.em().transactional(async (tx) => {
    await lockForTransaction(tx, 'settings');
    const current = pickGeneral(await readSettings(tx));
    const changes: Record<string, FieldChange> = {};
    for (const key of GENERAL_KEYS) {
      if (JSON.stringify(current[key]) !== JSON.stringify(next[key])) {
        changes[key] = { from: current[key], to: next[key] };
        await writeSetting(tx, key, next[key]);
      }
    }
    if (Object.keys(changes).length) await appendEvent(tx, 'settings.changed', { changes }, { actorId: actor.id });
    return next;
  });
}
