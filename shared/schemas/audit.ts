import * as z from 'zod/mini';
import { lineText, uuidSchema } from './common.js';
import { userSnapshotSchema } from './users.js';

// ---------------------------------------------------------------------------------------------
// Portal › Audit log: every domain event, newest first, keyset pages, filtered.

export const AUDIT_PAGE_DEFAULT = 50;
export const AUDIT_PAGE_MAX = 200;
export const AUDIT_SEARCH_MAX = 100;

const optionalText = (label: string) => z.optional(lineText(label, AUDIT_SEARCH_MAX, { required: false }));
const instant = (label: string) => z.optional(z.iso.datetime({ offset: true, error: `${label} must be a date and time (ISO 8601)` }));

/**
 * The filters of the audit log, shared by the page, the list procedure and the CSV export's query
 * string. People are found by what an admin can type (a name or an email, matched as a substring
 * against current accounts and the snapshots events carry, so deleted people are found too), never
 * by id. `from` is inclusive, `to` exclusive.
 */
export const auditFilterSchema = z
  .object({
    actor: optionalText('Actor'),
    action: z.optional(
      z
        .string({ error: 'Action must be text' })
        .check(z.maxLength(64, { error: 'Unknown action' }), z.regex(/^$|^[a-z][a-z_]*(\.[a-z_]+)+$/, { error: 'Unknown action' })),
    ),
    target: optionalText('Target user'),
    organisation: optionalText('Organisation'),
    from: instant('From'),
    to: instant('To'),
  })
  .check(
    z.refine((v) => !v.from || !v.to || Date.parse(v.from) < Date.parse(v.to), {
      path: ['to'],
      error: 'The end of the date range must be after its start',
    }),
  );
export type AuditFilter = z.output<typeof auditFilterSchema>;
export type AuditFilterInput = z.input<typeof auditFilterSchema>;

/** The CSV export of the filtered view (server/http/audit-export.ts): GET with the filters as query parameters. */
export const AUDIT_EXPORT_PATH = '/exports/audit-log.csv';

/** The filter keys, in the order the page and the CSV export's query string use them. */
export const AUDIT_FILTER_KEYS = ['actor', 'action', 'target', 'organisation', 'from', 'to'] as const;

export const auditListInput = z.object({
  filter: z._default(auditFilterSchema, {}),
  /** Opaque keyset cursor from the previous page's nextCursor (events with a smaller id). */
  cursor: z.nullish(z.string({ error: 'Invalid cursor' }).check(z.regex(/^[1-9]\d{0,15}$/, { error: 'Invalid cursor' }))),
  limit: z._default(
    z
      .number({ error: 'Limit must be a number' })
      .check(
        z.int({ error: 'Limit must be a whole number' }),
        z.gte(1, { error: 'Limit must be at least 1' }),
        z.lte(AUDIT_PAGE_MAX, { error: `Limit must be at most ${AUDIT_PAGE_MAX}` }),
      ),
    AUDIT_PAGE_DEFAULT,
  ),
});
export type AuditListInput = z.input<typeof auditListInput>;

/** A person an event names: the account as it is now, or (deleted account) the last snapshot events carried. */
export const auditPersonSchema = z.object({
  id: z.string(),
  name: z.nullable(z.string()),
  email: z.nullable(z.string()),
  /** No account has this id any more (deleted): the name comes from the events' snapshots. */
  deleted: z.boolean(),
});
export type AuditPerson = z.infer<typeof auditPersonSchema>;

export const auditEventSchema = z.object({
  id: z.int(),
  type: z.string(),
  createdAt: z.string(),
  /** Who did it (null: the system, e.g. the mail worker). */
  actor: z.nullable(auditPersonSchema),
  /** Whom it is about. */
  target: z.nullable(auditPersonSchema),
  organisation: z.nullable(z.object({ id: z.string(), name: z.nullable(z.string()) })),
  /** The API token the change was made with (REST API), when it was. */
  token: z.nullable(z.object({ id: z.nullable(z.string()), name: z.string() })),
  /** A sentence a person reads ("Ada Lovelace activated Grace Hopper"). */
  sentence: z.string(),
  data: z.record(z.string(), z.unknown()),
});
export type AuditEvent = z.infer<typeof auditEventSchema>;

export const auditListOutput = z.object({
  items: z.array(auditEventSchema),
  /** null on the last page. */
  nextCursor: z.nullable(z.string()),
});
export type AuditListOutput = z.infer<typeof auditListOutput>;

// ---------------------------------------------------------------------------------------------
// Forget (GDPR erasure) and Export (access request), from a user's page.

export const FORGET_CONFIRMATION = 'FORGET';

/** What a forgotten person is called from then on, everywhere (account, snapshots, mail). */
export const FORGOTTEN_FIRST_NAME = 'Forgotten';
export const FORGOTTEN_LAST_NAME = 'person';
/** Their address placeholder: unique per person (app_user.email is unique), never deliverable (.invalid, RFC 2606). */
export const forgottenEmail = (userId: string) => `forgotten-${userId}@forgotten.invalid`;

export const forgetInput = z.object({
  userId: uuidSchema,
  /** The admin types FORGET: the erasure cannot be undone. */
  confirmation: z
    .string({ error: `Type ${FORGET_CONFIRMATION} to confirm` })
    .check(z.refine((v) => v.trim() === FORGET_CONFIRMATION, { error: `Type ${FORGET_CONFIRMATION} to confirm` })),
});
export type ForgetInput = z.infer<typeof forgetInput>;

export const forgetOutput = z.object({
  userId: z.string(),
  /** The person had been forgotten before: nothing new was recorded. */
  alreadyForgotten: z.boolean(),
  /** The account still existed (it stays, anonymised and inactive). */
  accountKept: z.boolean(),
  /** Rows changed or removed per table. */
  redacted: z.record(z.string(), z.int()),
  user: z.nullable(userSnapshotSchema),
});
export type ForgetOutput = z.infer<typeof forgetOutput>;

export const exportPersonInput = z.object({ userId: uuidSchema });

const when = z.nullable(z.string());
export const personExportSchema = z.object({
  format: z.literal('admit-person-export/1'),
  exportedAt: z.string(),
  userId: z.string(),
  profile: z.nullable(
    z.object({
      email: z.string(),
      firstName: z.string(),
      lastName: z.string(),
      role: z.string(),
      status: z.string(),
      mustChangePassword: z.boolean(),
      rejectionReason: z.nullable(z.string()),
      emailVerifiedAt: when,
      createdAt: z.string(),
      updatedAt: z.string(),
    }),
  ),
  organisation: z.nullable(z.object({ id: z.string(), name: z.string() })),
  customFields: z.array(z.object({ key: z.string(), label: z.string(), value: z.union([z.string(), z.boolean()]) })),
  termsAcceptances: z.array(z.object({ versionId: z.int(), title: z.nullable(z.string()), acceptedAt: z.string(), ip: z.string(), userAgent: z.string() })),
  sessions: z.array(z.object({ createdAt: z.string(), lastSeenAt: z.string(), expiresAt: z.string(), ip: z.string(), userAgent: z.string() })),
  events: z.array(
    z.object({
      id: z.int(),
      type: z.string(),
      createdAt: z.string(),
      /** subject: the event is about them; actor: they did it (both: about themselves). */
      role: z.enum(['subject', 'actor', 'both']),
      sentence: z.string(),
      data: z.record(z.string(), z.unknown()),
    }),
  ),
  emails: z.array(
    z.object({
      id: z.int(),
      template: z.string(),
      to: z.string(),
      subject: z.nullable(z.string()),
      status: z.string(),
      createdAt: z.string(),
      sentAt: when,
    }),
  ),
});
export type PersonExport = z.infer<typeof personExportSchema>;
