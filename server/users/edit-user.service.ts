import type { AppServices } from '../app-services.js';
import type { FieldChange } from '../../shared/events.js';
import type { SessionUser } from '../../shared/schemas/auth.js';
import type { UpdateUserInput, UpdateUserOutput } from '../../shared/schemas/user-admin.js';
import { AppError } from '../errors.js';
import { appendEvent } from '../events/append.js';
import { organisationNameForShare } from '../organisations/organisations.repository.js';
import { loadUserSnapshot, lockUser, updateProfile } from './users.repository.js';
import { assertAnotherActiveAdmin } from './users.service.js';
import { isUnknownOrganisation, unknownOrganisation } from './add-user.service.js';

/**
 * Edit user (admin): name, organisation and role. Optimistic: the admin's expectedVersion must
 * still be the row's version (USER_CHANGED otherwise, with the current state). Demoting the last
 * active admin is refused (LAST_ADMIN), under the same lock deactivation and deletion take, so two
 * admins demoting each other at once leave one admin.
 */
export async function updateUser(app: AppServices, actor: SessionUser, input: UpdateUserInput): Promise<UpdateUserOutput> {
  try {
    return await app.em().transactional(async (tx) => {
      const before = await lockUser(tx, input.userId);
      if (!before) throw new AppError('NOT_FOUND', 'NOT_FOUND', 'This user no longer exists');
      if (before.version !== input.expectedVersion) {
        throw new AppError('CONFLICT', 'USER_CHANGED', 'This user was changed by someone else in the meantime. Review the current state and try again.', {
          details: { user: await loadUserSnapshot(tx, input.userId) },
        });
      }

      const changes: Record<string, FieldChange> = {};
      if (before.firstName !== input.firstName) changes.firstName = { from: before.firstName, to: input.firstName };
      if (before.lastName !== input.lastName) changes.lastName = { from: before.lastName, to: input.lastName };
      if (before.role !== input.role) changes.role = { from: before.role, to: input.role };
      let organisationName = before.organisationName;
      if (before.organisationId !== input.organisationId) {
        const name = await organisationNameForShare(tx, input.organisationId);
        if (name === null) throw unknownOrganisation();
        organisationName = name;
        changes.organisation = { from: before.organisationName, to: organisationName };
      }
      if (Object.keys(changes).length === 0) {
        return { user: (await loadUserSnapshot(tx, input.userId))!, changes };
      }
      if (changes.role && before.role === 'admin') {
        await assertAnotherActiveAdmin(tx, before);
      }
      await updateProfile(tx, input.userId, input, app.clock.now());
      const user = (await loadUserSnapshot(tx, input.userId))!;
      await appendEvent(tx, 'user.updated', { user, changes }, { actorId: actor.id, userId: input.userId });
      return { user, changes };
    });
  } catch (e) {
    if (isUnknownOrganisation(e)) throw unknownOrganisation();
    throw e;
  }
}
