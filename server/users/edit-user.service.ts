import type { AppServices } from '../app-services.js';
import type { FieldChange } from '../../shared/events.js';
import type { SessionUser } from '../../shared/schemas/auth.js';
import type { UpdateUserInput, UpdateUserOutput } from '../../shared/schemas/user-admin.js';
import { AppError } from '../errors.js';
import { appendEvent } from '../events/append.js';
import { loadUserSnapshot } from './users.snapshot.js';
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
      const rows = await tx.execute<any[]>(
        `select u.id, u.first_name, u.last_name, u.organisation_id, o.name as organisation_name, u.role, u.status, u.version
           from app_user u join organisation o on o.id = u.organisation_id where u.id = ? for update of u`,
        [input.userId],
      );
      const before = rows[0];
      if (!before) throw new AppError('NOT_FOUND', 'NOT_FOUND', 'This user no longer exists');
      if (Number(before.version) !== input.expectedVersion) {
        throw new AppError('CONFLICT', 'USER_CHANGED', 'This user was changed by someone else in the meantime. Review the current state and try again.', {
          details: { user: await loadUserSnapshot(tx, input.userId) },
        });
      }

      const changes: Record<string, FieldChange> = {};
      if (before.first_name !== input.firstName) changes.firstName = { from: before.first_name, to: input.firstName };
      if (before.last_name !== input.lastName) changes.lastName = { from: before.last_name, to: input.lastName };
      if (before.role !== input.role) changes.role = { from: before.role, to: input.role };
      let organisationName: string = before.organisation_name;
      if (before.organisation_id !== input.organisationId) {
        const org = await tx.execute<{ name: string }[]>(`select name from organisation where id = ? for share`, [input.organisationId]);
        if (!org[0]) throw unknownOrganisation();
        organisationName = org[0].name;
        changes.organisation = { from: before.organisation_name, to: organisationName };
      }
      if (Object.keys(changes).length === 0) {
        return { user: (await loadUserSnapshot(tx, input.userId))!, changes };
      }
      if (changes.role && before.role === 'admin') {
        await assertAnotherActiveAdmin(tx, { id: before.id, role: before.role, status: before.status });
      }
      await tx.execute(
        `update app_user set first_name = ?, last_name = ?, organisation_id = ?, role = ?, updated_at = ?, version = version + 1 where id = ?`,
        [input.firstName, input.lastName, input.organisationId, input.role, app.clock.now(), input.userId],
      );
      const user = (await loadUserSnapshot(tx, input.userId))!;
      await appendEvent(tx, 'user.updated', { user, changes }, { actorId: actor.id, userId: input.userId });
      return { user, changes };
    });
  } catch (e) {
    if (isUnknownOrganisation(e)) throw unknownOrganisation();
    throw e;
  }
}
