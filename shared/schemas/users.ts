import { z } from 'zod';
import { USER_ROLES, USER_STATUSES } from '../constants.js';
import { emailSchema, passwordSchema, personNameSchema, uuidSchema } from './common.js';

// ---------------------------------------------------------------------------------------------
// Self-registration (portal)

/** A person's name as typed on the portal: no markup characters, on top of the common rules. */
const portalNameSchema = (label: string) =>
  personNameSchema(label).refine((v) => !/[<>]/.test(v), { message: `${label} cannot contain < or >` });

export const registerInput = z
  .object({
    firstName: portalNameSchema('First name'),
    lastName: portalNameSchema('Last name'),
    email: emailSchema,
    password: passwordSchema,
    confirmPassword: z.string({ message: 'Please confirm your password' }).max(256, { message: 'Passwords do not match' }),
  })
  .refine((v) => v.password === v.confirmPassword, { path: ['confirmPassword'], message: 'Passwords do not match' });
export type RegisterInput = z.infer<typeof registerInput>;

/**
 * What the registration page is told. The same answer comes back whether or not the address
 * already had an account (no enumeration): `active` when the policy approves it at once.
 */
export const registerOutput = z.object({ status: z.enum(['active', 'pending']) });
export type RegisterOutput = z.infer<typeof registerOutput>;

// ---------------------------------------------------------------------------------------------
// Admin: API Consumers > Users

/**
 * The one user shape: a users list row, the snapshot every user event carries (shared/events.ts),
 * and the base of the session user (schemas/auth.ts).
 */
export const userSnapshotSchema = z.object({
  id: z.string(),
  email: z.string(),
  firstName: z.string(),
  lastName: z.string(),
  role: z.enum(USER_ROLES),
  status: z.enum(USER_STATUSES),
  organisationId: z.string(),
  organisationName: z.string(),
  createdAt: z.string(),
  version: z.number().int(),
});
export type UserSnapshot = z.infer<typeof userSnapshotSchema>;

/** The users list's row: the user snapshot. */
export const userRowSchema = userSnapshotSchema;
export type UserRow = UserSnapshot;

export const USER_LIST_LIMIT_DEFAULT = 50;
export const USER_LIST_LIMIT_MAX = 100;
export const USER_SEARCH_MAX = 100;

/** 'all' lists every status with pending registrations first, then everyone else, newest first. */
export const userListStatusFilter = z.enum(['all', ...USER_STATUSES], { message: 'Unknown status filter' });
export type UserListStatusFilter = z.infer<typeof userListStatusFilter>;

export const userListInput = z.object({
  status: userListStatusFilter.default('all'),
  search: z
    .string({ message: 'Search must be text' })
    .trim()
    .max(USER_SEARCH_MAX, { message: `Search must be at most ${USER_SEARCH_MAX} characters` })
    .refine((v) => !/[\u0000-\u001f\u007f]/.test(v), { message: 'Search contains invalid characters' })
    .default(''),
  /** Opaque keyset cursor from the previous page's nextCursor. */
  cursor: z.string({ message: 'Invalid cursor' }).max(200, { message: 'Invalid cursor' }).nullish(),
  limit: z
    .number({ message: 'Limit must be a number' })
    .int({ message: 'Limit must be a whole number' })
    .min(1, { message: 'Limit must be at least 1' })
    .max(USER_LIST_LIMIT_MAX, { message: `Limit must be at most ${USER_LIST_LIMIT_MAX}` })
    .default(USER_LIST_LIMIT_DEFAULT),
});
export type UserListInput = z.input<typeof userListInput>;
export type UserListQuery = z.output<typeof userListInput>;

export const userListOutput = z.object({
  items: z.array(userSnapshotSchema),
  /** null on the last page. */
  nextCursor: z.string().nullable(),
});
export type UserListOutput = z.infer<typeof userListOutput>;

export const userIdInput = z.object({ userId: uuidSchema });

export const userDetailOutput = z.object({
  id: z.string(),
  firstName: z.string(),
  lastName: z.string(),
  email: z.string(),
  organisation: z.object({ id: z.string(), name: z.string() }),
  role: z.enum(USER_ROLES),
  status: z.enum(USER_STATUSES),
  hasPassword: z.boolean(),
  mustChangePassword: z.boolean(),
  rejectionReason: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  version: z.number().int(),
});
export type UserDetail = z.infer<typeof userDetailOutput>;

export const userTimelineInput = z.object({
  userId: uuidSchema,
  /** Events with an id below this one (the previous page's nextBefore). */
  before: z.number({ message: 'Invalid cursor' }).int().positive().nullish(),
  limit: z.number({ message: 'Limit must be a number' }).int().min(1).max(200).default(100),
});

export const timelineEventSchema = z.object({
  id: z.number().int(),
  type: z.string(),
  actorId: z.string().nullable(),
  actorName: z.string().nullable(),
  userId: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
});
export type TimelineEvent = z.infer<typeof timelineEventSchema>;

export const userTimelineOutput = z.object({
  items: z.array(timelineEventSchema),
  nextBefore: z.number().int().nullable(),
});

// ---------------------------------------------------------------------------------------------
// Admin decisions: each carries the version the admin saw, so two admins racing on one user
// cannot both win.

export const expectedVersionSchema = z
  .number({ message: 'The version of the user you saw is required' })
  .int({ message: 'Invalid version' })
  .min(1, { message: 'Invalid version' });

export const userActionInput = z.object({ userId: uuidSchema, expectedVersion: expectedVersionSchema });
export type UserActionInput = z.infer<typeof userActionInput>;

export const REJECTION_REASON_MAX = 500;
export const rejectUserInput = userActionInput.extend({
  reason: z
    .string({ message: 'Reason must be text' })
    .trim()
    .max(REJECTION_REASON_MAX, { message: `Reason must be at most ${REJECTION_REASON_MAX} characters` })
    // Line breaks are fine in a reason; other control characters are not.
    .refine((v) => !/[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f]/.test(v), { message: 'Reason contains invalid characters' })
    .nullish()
    .transform((v) => (v ? v : null)),
});
export type RejectUserInput = z.input<typeof rejectUserInput>;

/** The user as it is after a decision (the list row shape). */
export const userActionOutput = z.object({ user: userSnapshotSchema });
export const userDeleteOutput = z.object({ ok: z.literal(true), userId: z.string() });

/** How many users have each status, and in all (the admin shell's counts). */
export const userStatsOutput = z.object({
  byStatus: z.record(z.enum(USER_STATUSES), z.number().int()),
  total: z.number().int(),
});
export type UserStatsOutput = z.infer<typeof userStatsOutput>;
