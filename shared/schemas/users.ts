import * as z from 'zod/mini';
import { NAME_MAX, USER_ROLES, USER_STATUSES } from '../constants.js';
import { confirmPasswordSchema, emailSchema, lineText, multilineText, nameText, PASSWORD_MESSAGES, passwordSchema, uuidSchema } from './common.js';
import { botFieldsSchema } from './security.js';
import { answersWireSchema } from '../registration-form.js';

// ---------------------------------------------------------------------------------------------
// Self-registration (portal)

/** A person's name as typed on the portal: no markup characters, on top of the common rules. */
const portalNameSchema = (label: string) => nameText(label, NAME_MAX).check(z.refine((v) => !/[<>]/.test(v), { error: `${label} cannot contain < or >` }));

export const registerInput = z
  .object({
    firstName: portalNameSchema('First name'),
    lastName: portalNameSchema('Last name'),
    email: emailSchema,
    password: passwordSchema,
    confirmPassword: confirmPasswordSchema,
    /** Bot protection (Settings › Security): proof-of-work payload, form token, honeypot. */
    bot: z.optional(botFieldsSchema),
    /** Answers to the admin's sign-up fields; the server checks them with answersSchema() of the current form. */
    answers: z._default(answersWireSchema, {}),
    /** The version of the sign-up form the page showed (0: no fields). */
    formVersion: z._default(z.int().check(z.gte(0)), 0),
    /** The terms version whose box was ticked (required while terms are published). */
    acceptTerms: z.nullish(z.int()),
  })
  .check(z.refine((v) => v.password === v.confirmPassword, { path: ['confirmPassword'], error: PASSWORD_MESSAGES.mismatch }));
export type RegisterInput = z.infer<typeof registerInput>;

/**
 * What the registration page is told. The same answer comes back whether or not the address
 * already had an account (no enumeration): `unverified` when the address must be verified first
 * (a link was emailed), else `active` when the policy approves it at once, or `pending`.
 */
export const registerOutput = z.object({ status: z.enum(['active', 'pending', 'unverified']) });
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
  version: z.int(),
});
export type UserSnapshot = z.infer<typeof userSnapshotSchema>;

/** The users list's row: the user snapshot. */
export const userRowSchema = userSnapshotSchema;
export type UserRow = UserSnapshot;

export const USER_LIST_LIMIT_DEFAULT = 50;
export const USER_LIST_LIMIT_MAX = 100;
export const USER_SEARCH_MAX = 100;

/** 'all' lists every status with pending registrations first, then everyone else, newest first. */
export const userListStatusFilter = z.enum(['all', ...USER_STATUSES], { error: 'Unknown status filter' });
export type UserListStatusFilter = z.infer<typeof userListStatusFilter>;

export const userListInput = z.object({
  status: z._default(userListStatusFilter, 'all'),
  // One line of text (shared/text.ts): NUL, lone surrogates or control characters answer 400.
  search: z._default(lineText('Search', USER_SEARCH_MAX, { required: false }), ''),
  /** Opaque keyset cursor from the previous page's nextCursor. */
  cursor: z.nullish(z.string({ error: 'Invalid cursor' }).check(z.maxLength(200, { error: 'Invalid cursor' }))),
  limit: z._default(
    z
      .number({ error: 'Limit must be a number' })
      .check(
        z.int({ error: 'Limit must be a whole number' }),
        z.gte(1, { error: 'Limit must be at least 1' }),
        z.lte(USER_LIST_LIMIT_MAX, { error: `Limit must be at most ${USER_LIST_LIMIT_MAX}` }),
      ),
    USER_LIST_LIMIT_DEFAULT,
  ),
});
export type UserListInput = z.input<typeof userListInput>;
export type UserListQuery = z.output<typeof userListInput>;

export const userListOutput = z.object({
  items: z.array(userSnapshotSchema),
  /** null on the last page. */
  nextCursor: z.nullable(z.string()),
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
  rejectionReason: z.nullable(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
  version: z.int(),
});
export type UserDetail = z.infer<typeof userDetailOutput>;

export const userTimelineInput = z.object({
  userId: uuidSchema,
  /** Events with an id below this one (the previous page's nextBefore). */
  before: z.nullish(z.number({ error: 'Invalid cursor' }).check(z.int(), z.positive())),
  limit: z._default(z.number({ error: 'Limit must be a number' }).check(z.int(), z.gte(1), z.lte(200)), 100),
});

export const timelineEventSchema = z.object({
  id: z.int(),
  type: z.string(),
  actorId: z.nullable(z.string()),
  actorName: z.nullable(z.string()),
  userId: z.nullable(z.string()),
  data: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
});
export type TimelineEvent = z.infer<typeof timelineEventSchema>;

export const userTimelineOutput = z.object({
  items: z.array(timelineEventSchema),
  nextBefore: z.nullable(z.int()),
});

// ---------------------------------------------------------------------------------------------
// Admin decisions: each carries the version the admin saw, so two admins racing on one user
// cannot both win.

export const expectedVersionSchema = z
  .number({ error: 'The version of the user you saw is required' })
  .check(z.int({ error: 'Invalid version' }), z.gte(1, { error: 'Invalid version' }));

export const userActionInput = z.object({ userId: uuidSchema, expectedVersion: expectedVersionSchema });
export type UserActionInput = z.infer<typeof userActionInput>;

export const REJECTION_REASON_MAX = 500;
export const rejectUserInput = z.extend(userActionInput, {
  // Line breaks are fine in a reason (shared/text.ts, multi-line); an empty reason is none.
  reason: z.pipe(
    z.nullish(multilineText('Reason', REJECTION_REASON_MAX, { required: false })),
    z.transform((v: string | null | undefined) => (v ? v : null)),
  ),
});
export type RejectUserInput = z.input<typeof rejectUserInput>;

/** The user as it is after a decision (the list row shape). */
export const userActionOutput = z.object({ user: userSnapshotSchema });
export const userDeleteOutput = z.object({ ok: z.literal(true), userId: z.string() });

/** How many users have each status, and in all (the admin shell's counts). */
export const userStatsOutput = z.object({
  byStatus: z.record(z.enum(USER_STATUSES), z.int()),
  total: z.int(),
  /** The event position the counts belong to (live events carry newer ones: the larger wins). */
  at: z.int(),
});
export type UserStatsOutput = z.infer<typeof userStatsOutput>;
