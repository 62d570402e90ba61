import type { AppServices } from '../app-services.js';
import type { FieldChange } from '../../shared/events.js';
import type { SessionUser } from '../../shared/schemas/auth.js';
import type { AccountOutput, UpdateOwnNameInput } from '../../shared/schemas/account.js';
import { AppError } from '../errors.js';
import { appendEvent } from '../events/append.js';
import { acceptancesOf, latestTerms } from '../terms/terms.repository.js';
import { loadUserSnapshot, lockUser, updateOwnName } from './users.repository.js';

/** The signed-in person's own account: details, organisation and the terms they accepted. */
export async function getAccount(app: AppServices, me: SessionUser): Promise<AccountOutput> {
  const em = app.em();
  const user = await loadUserSnapshot(em, me.id);
  if (!user) throw new AppError('NOT_FOUND', 'NOT_FOUND', 'This account no longer exists');
  const latest = await latestTerms(em);
  let terms: AccountOutput['terms'] = null;
  if (latest) {
    const [newest] = await acceptancesOf(em, me.id);
    terms = {
      acceptedVersion: newest?.versionId ?? null,
      acceptedTitle: newest?.title ?? null,
      acceptedAt: newest?.acceptedAt ?? null,
      currentVersion: latest.id,
    };
  }
  return {
    id: user.id,
    email: user.email,
    firstName: user.firstName,
    lastName: user.lastName,
    role: user.role,
    status: user.status,
    organisationName: user.organisationName,
    createdAt: user.createdAt,
    terms,
  };
}

/**
 * A person changes their own name (first and last). Recorded as user.updated with the changes,
 * by the user themselves, after the row is locked; nothing changes (and nothing is recorded) when
 * the name is the same.
 */
export async function updateOwnAccountName(app: AppServices, me: SessionUser, input: UpdateOwnNameInput): Promise<AccountOutput> {
  await app.em().transactional(async (tx) => {
    const before = await lockUser(tx, me.id);
    if (!before) throw new AppError('NOT_FOUND', 'NOT_FOUND', 'This account no longer exists');
    const changes: Record<string, FieldChange> = {};
    if (before.firstName !== input.firstName) changes.firstName = { from: before.firstName, to: input.firstName };
    if (before.lastName !== input.lastName) changes.lastName = { from: before.lastName, to: input.lastName };
    if (Object.keys(changes).length === 0) return;
    await updateOwnName(tx, me.id, input, app.clock.now());
    const user = (await loadUserSnapshot(tx, me.id))!;
    await appendEvent(tx, 'user.updated', { user, changes }, { actorId: me.id, userId: me.id });
  });
  return getAccount(app, me);
}
