import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppServices } from '../app-services.js';
import type { CreateOrganisationInput, OrganisationDto, RenameOrganisationInput } from '../../shared/schemas/organisations.js';
import { nameKey } from '../../shared/text.js';
import { AppError } from '../errors.js';
import { appendEvent } from '../events/append.js';
import { countMembers, findOrganisation, isOrganisationInUse, isOrganisationNameTaken, lockOrganisation } from './organisations.repository.js';

function nameTaken(): AppError {
  return new AppError('CONFLICT', 'NAME_TAKEN', 'An organisation with this name already exists', {
    fieldErrors: { name: 'An organisation with this name already exists' },
  });
}

/** A write with a version (REST If-Match) that is no longer the row's: the current state goes with it. */
async function changed(tx: EntityManager, id: string): Promise<AppError> {
  const current = await findOrganisation(tx, id);
  return new AppError(
    'CONFLICT',
    'ORGANISATION_CHANGED',
    'This organisation was changed by someone else in the meantime. Review the current state and try again.',
    { details: { organisation: current } },
  );
}

function notFound(): AppError {
  return new AppError('NOT_FOUND', 'NOT_FOUND', 'This organisation no longer exists');
}

/**
 * Creates an organisation. Names are unique by nameKey (case, NFKC form and runs of spaces do not
 * make a different name); the unique index on name_key decides, not a read.
 */
export async function createOrganisation(app: AppServices, actorId: string, input: CreateOrganisationInput): Promise<OrganisationDto> {
  try {
    return await app.em().transactional(async (tx) => {
      const id = randomUUID();
      const now = app.clock.now();
      await tx.execute(`insert into organisation (id, name, name_key, is_default, created_at, updated_at) values (?, ?, ?, false, ?, ?)`, [
        id,
        input.name,
        nameKey(input.name),
        now,
        now,
      ]);
      await appendEvent(tx, 'organisation.created', { organisation: { id, name: input.name } }, { actorId });
      return { id, name: input.name, isDefault: false, userCount: 0, createdAt: now.toISOString(), version: 1 };
    });
  } catch (e) {
    if (isOrganisationNameTaken(e)) throw nameTaken();
    throw e;
  }
}

/**
 * Renames an organisation (its version goes up). With `expectedVersion` (the REST API's If-Match)
 * the rename applies only while the row still has that version: ORGANISATION_CHANGED otherwise,
 * decided under the row lock, so of two writers with the same version exactly one wins.
 */
export async function renameOrganisation(
  app: AppServices,
  actorId: string,
  input: RenameOrganisationInput,
  expectedVersion?: number,
): Promise<OrganisationDto> {
  try {
    await app.em().transactional(async (tx) => {
      const current = await lockOrganisation(tx, input.id);
      if (!current) throw notFound();
      if (expectedVersion !== undefined && current.version !== expectedVersion) throw await changed(tx, input.id);
      if (current.name === input.name) return;
      await tx.execute(`update organisation set name = ?, name_key = ?, version = version + 1, updated_at = ? where id = ?`, [
        input.name,
        nameKey(input.name),
        app.clock.now(),
        input.id,
      ]);
      await appendEvent(tx, 'organisation.renamed', { organisation: { id: input.id, name: input.name }, previousName: current.name }, { actorId });
    });
  } catch (e) {
    if (isOrganisationNameTaken(e)) throw nameTaken();
    throw e;
  }
  const org = await findOrganisation(app.em(), input.id);
  if (!org) throw notFound();
  return org;
}

/**
 * Deletes an organisation nobody belongs to. The foreign key (on delete restrict) is the real guard:
 * a user moved into it while this runs makes the delete fail instead of orphaning them. With
 * `expectedVersion` (If-Match) only while the row still has that version (ORGANISATION_CHANGED).
 */
export async function deleteOrganisation(app: AppServices, actorId: string, id: string, expectedVersion?: number): Promise<void> {
  try {
    await app.em().transactional(async (tx) => {
      const current = await lockOrganisation(tx, id);
      if (!current) throw notFound();
      if (expectedVersion !== undefined && current.version !== expectedVersion) throw await changed(tx, id);
      if (current.isDefault) {
        throw new AppError('FORBIDDEN', 'ORGANISATION_IS_DEFAULT', 'The default organisation cannot be deleted: new users join it.');
      }
      const n = await countMembers(tx, id);
      if (n > 0) throw notEmpty(n);
      await tx.execute(`delete from organisation where id = ?`, [id]);
      await appendEvent(tx, 'organisation.deleted', { organisation: { id, name: current.name } }, { actorId });
    });
  } catch (e) {
    if (isOrganisationInUse(e)) throw notEmpty(null);
    throw e;
  }
}

function notEmpty(n: number | null): AppError {
  const who = n === null ? 'It still has users' : `It still has ${n} user${n === 1 ? '' : 's'}`;
  return new AppError('CONFLICT', 'ORGANISATION_NOT_EMPTY', `${who}: move them to another organisation first.`, {
    details: { userCount: n },
  });
}
