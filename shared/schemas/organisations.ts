import * as z from 'zod/mini';
import { nameText, uuidSchema } from './common.js';

export const ORGANISATION_NAME_MAX = 120;

/** An organisation's name (a name by shared/text.ts: look-alikes with invisible characters are refused). */
export const organisationNameSchema = nameText('Name', ORGANISATION_NAME_MAX);

export const organisationSchema = z.object({
  id: z.string(),
  name: z.string(),
  isDefault: z.boolean(),
  userCount: z.int(),
  createdAt: z.string(),
  /** Goes up with every rename: the REST API's ETag. */
  version: z.int(),
});
export type OrganisationDto = z.infer<typeof organisationSchema>;

export const organisationListOutput = z.object({ items: z.array(organisationSchema) });
export type OrganisationListOutput = z.infer<typeof organisationListOutput>;

export const createOrganisationInput = z.object({ name: organisationNameSchema });
export type CreateOrganisationInput = z.infer<typeof createOrganisationInput>;

/**
 * The organisation's version as the admin saw it (organisationSchema.version). With it, a rename or
 * delete applies only while the organisation is still as seen (ORGANISATION_CHANGED otherwise), so
 * of two admins acting on what they saw, one does not silently undo the other.
 */
const organisationVersionSchema = z.number({ error: 'Invalid version' }).check(z.int({ error: 'Invalid version' }), z.gte(1, { error: 'Invalid version' }));

export const renameOrganisationInput = z.object({ id: uuidSchema, name: organisationNameSchema, expectedVersion: z.optional(organisationVersionSchema) });
export type RenameOrganisationInput = z.infer<typeof renameOrganisationInput>;

export const deleteOrganisationInput = z.object({ id: uuidSchema, expectedVersion: z.optional(organisationVersionSchema) });
export type DeleteOrganisationInput = z.infer<typeof deleteOrganisationInput>;

export const deleteOrganisationOutput = z.object({ ok: z.literal(true) });
