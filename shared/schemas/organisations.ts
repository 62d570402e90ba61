import { z } from 'zod';
import { uuidSchema } from './common.js';

export const ORGANISATION_NAME_MAX = 120;

export const organisationNameSchema = z
  .string({ message: 'Name is required' })
  .trim()
  .min(1, { message: 'Name is required' })
  .max(ORGANISATION_NAME_MAX, { message: `Name must be at most ${ORGANISATION_NAME_MAX} characters` })
  .refine((v) => !/[\u0000-\u001f\u007f]/.test(v), { message: 'Name contains invalid characters' });

export const organisationSchema = z.object({
  id: z.string(),
  name: z.string(),
  isDefault: z.boolean(),
  userCount: z.number().int(),
  createdAt: z.string(),
});
export type OrganisationDto = z.infer<typeof organisationSchema>;

export const organisationListOutput = z.object({ items: z.array(organisationSchema) });
export type OrganisationListOutput = z.infer<typeof organisationListOutput>;

export const createOrganisationInput = z.object({ name: organisationNameSchema });
export type CreateOrganisationInput = z.infer<typeof createOrganisationInput>;

export const renameOrganisationInput = z.object({ id: uuidSchema, name: organisationNameSchema });
export type RenameOrganisationInput = z.infer<typeof renameOrganisationInput>;

export const deleteOrganisationInput = z.object({ id: uuidSchema });
export type DeleteOrganisationInput = z.infer<typeof deleteOrganisationInput>;

export const deleteOrganisationOutput = z.object({ ok: z.literal(true) });
