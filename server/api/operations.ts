import * as z from 'zod/mini';
import type { AppServices } from '../app-services.js';
import type { SessionUser } from '../../shared/schemas/auth.js';
import type { ApiScope } from '../../shared/api-scopes.js';
import type { ApiPrincipal } from '../events/actor-context.js';
import { userActionOutput, userDetailOutput, userListInput, userListOutput, userSnapshotSchema } from '../../shared/schemas/users.js';
import { addUserInput, addUserOutput, updateUserOutput } from '../../shared/schemas/user-admin.js';
import { inviteActionOutput, invitesForUserOutput, inviteStateSchema } from '../../shared/schemas/invites.js';
import { organisationListOutput, organisationSchema } from '../../shared/schemas/organisations.js';
import { generalSettingsSchema } from '../../shared/schemas/settings.js';
import {
  apiEmptyBody,
  apiGeneralSettingsBody,
  apiOrganisationBody,
  apiReconsiderUserBody,
  apiRejectUserBody,
  apiUpdateUserBody,
  eventFeedInput,
  eventFeedOutput,
  feedEventSchema,
  organisationIdParams,
  userIdParams,
} from '../../shared/schemas/api.js';
import { listUsers } from '../users/users.repository.js';
import { activateUser, deactivateUser, deleteUser, getUser, reconsiderUser, rejectUser } from '../users/users.service.js';
import { addUser } from '../users/add-user.service.js';
import { updateUser } from '../users/edit-user.service.js';
import { invitesForUser, revokeInvite, sendInvite } from '../users/invite-user.service.js';
import { findOrganisation, listOrganisations } from '../organisations/organisations.repository.js';
import { createOrganisation, deleteOrganisation, renameOrganisation } from '../organisations/organisations.service.js';
import { getGeneralSettingsVersioned, saveGeneralSettings } from '../settings/general-settings.service.js';
import { feedEventsAfter } from '../events/feed.repository.js';
import { ProblemException } from './problem.js';

/*
 * The REST API, one entry per operation: the table both the router (rest.ts) and the OpenAPI
 * document (openapi.ts) are built from, so the document cannot drift from what is served. Each
 * handler is one service call with the same shared schemas the tRPC procedures use; the edge only
 * maps HTTP to them (path → ids, If-Match → expectedVersion, status codes, ETag). Users,
 * organisations and the general settings carry a version: ETag on every answer about one,
 * If-Match required on every change of one.
 */

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Schema = z.ZodMiniType;

export const API_TAGS = [
  { name: 'Users', description: 'Developers and administrators: list, read, add, edit, and the admin decisions.' },
  { name: 'Invites', description: 'Invitations for users added without a password.' },
  { name: 'Organisations', description: 'Every user belongs to one organisation; the default one cannot be deleted.' },
  { name: 'Events', description: 'The domain event feed, for integrations that poll instead of receiving webhooks.' },
  { name: 'Settings', description: 'Settings › General: the registration policy.' },
] as const;
export type ApiTag = (typeof API_TAGS)[number]['name'];

/** What a handler gets: the parsed inputs, the acting admin (the token's owner) and the token. */
export interface OperationContext<P, Q, B> {
  app: AppServices;
  actor: SessionUser;
  principal: ApiPrincipal;
  params: P;
  query: Q;
  body: B;
  /** The version from If-Match (operations with `ifMatch` only; otherwise 0). */
  expectedVersion: number;
}

export interface OperationResult {
  body?: unknown;
  /** The version (of the user, organisation or settings) to send as ETag. */
  etag?: number;
  /** A Location header (the created resource), relative to the server. */
  location?: string;
}

export interface Operation<P extends Schema = Schema, Q extends Schema = Schema, B extends Schema = Schema> {
  operationId: string;
  method: HttpMethod;
  /** Under /api/v1, with {name} for path parameters. */
  path: string;
  /** The one scope a token needs. */
  scope: ApiScope;
  tag: ApiTag;
  summary: string;
  description?: string;
  params?: P;
  /** Descriptions of the path and query parameters, by name. */
  paramDocs?: Record<string, string>;
  query?: Q;
  /** The request body (JSON); operations without one take no body or `{}`. */
  body?: B;
  /** The request body's name under components.schemas. */
  bodyName?: string;
  /** Needs `If-Match: "<version>"` of the resource (428 without it, 412 when it is not the current version). */
  ifMatch?: boolean;
  success: { status: 200 | 201 | 204; description: string; schema?: Schema; schemaName?: string; etag?: boolean; location?: boolean };
  /** Problem statuses this operation may answer besides the common ones (401, 403, 429, 500, 503). */
  problems: number[];
  handle(ctx: OperationContext<z.output<P>, z.output<Q>, z.output<B>>): Promise<OperationResult>;
}

/** What an operation's If-Match names (for its messages and its documentation): the resource and where to read its ETag. */
export function versionedResource(o: Pick<Operation, 'tag'>): { noun: string; read: string } {
  if (o.tag === 'Organisations') return { noun: 'the organisation', read: 'GET /organisations/{organisationId}' };
  if (o.tag === 'Settings') return { noun: 'the settings', read: 'GET /settings' };
  return { noun: 'the user', read: 'GET /users/{userId} or any answer about this user' };
}

/** Keeps each handler's inputs typed by its own schemas while the table holds them all. */
function op<P extends Schema = Schema, Q extends Schema = Schema, B extends Schema = typeof apiEmptyBody>(o: Operation<P, Q, B>): Operation {
  return o;
}

const userIdDoc = { userId: "The user's id (UUID), as in `id` of a user." };
const organisationIdDoc = { organisationId: "The organisation's id (UUID)." };

/** Statuses every write on a user with If-Match may answer. */
const USER_DECISION_PROBLEMS = [400, 404, 409, 412, 413, 415, 422, 428];

/**
 * A decision on one user (activate, reject, reconsider, deactivate): POST /users/{userId}/<verb>,
 * `users:write`, If-Match required, answered with the user after it and its version as ETag.
 */
function userDecision<B extends Schema = typeof apiEmptyBody>(o: {
  operationId: string;
  verb: string;
  summary: string;
  description: string;
  body?: B;
  bodyName?: string;
  decide(ctx: OperationContext<z.output<typeof userIdParams>, z.output<Schema>, z.output<B>>): Promise<{ version: number }>;
}): Operation {
  return op<typeof userIdParams, Schema, B>({
    operationId: o.operationId,
    method: 'post',
    path: `/users/{userId}/${o.verb}`,
    scope: 'users:write',
    tag: 'Users',
    summary: o.summary,
    description: o.description,
    params: userIdParams,
    paramDocs: userIdDoc,
    ...(o.body ? { body: o.body, bodyName: o.bodyName } : {}),
    ifMatch: true,
    success: { status: 200, description: 'The user after the decision.', schema: userActionOutput, schemaName: 'UserResult', etag: true },
    problems: USER_DECISION_PROBLEMS,
    handle: async (ctx) => {
      const user = await o.decide(ctx);
      return { body: { user }, etag: user.version };
    },
  });
}

export const OPERATIONS: Operation[] = [
  // ---------------------------------------------------------------------------------------------
  // Users
  op({
    operationId: 'listUsers',
    method: 'get',
    path: '/users',
    scope: 'users:read',
    tag: 'Users',
    summary: 'List users',
    description:
      'Newest first; with `status=all` (the default) pending registrations come first. Keyset paging: pass `nextCursor` of one page as `cursor` to get the next; a cursor is opaque and `null` on the last page.',
    query: userListInput,
    paramDocs: {
      status: 'Only users with this status (`all`: every status, pending first).',
      search: 'Matches first name, last name, email, and answers to the sign-up fields (case-insensitive, substring).',
      cursor: "The previous page's `nextCursor`.",
      limit: 'Page size, 1 to 100.',
    },
    success: { status: 200, description: 'One page of users.', schema: userListOutput, schemaName: 'UserList' },
    problems: [400, 422],
    handle: async ({ app, query }) => ({ body: await listUsers(app.em(), query) }),
  }),
  op({
    operationId: 'getUser',
    method: 'get',
    path: '/users/{userId}',
    scope: 'users:read',
    tag: 'Users',
    summary: 'Get a user',
    description: "The ETag header carries the user's version: send it back as If-Match when you change or decide on this user.",
    params: userIdParams,
    paramDocs: userIdDoc,
    success: { status: 200, description: 'The user.', schema: userDetailOutput, schemaName: 'UserDetail', etag: true },
    problems: [404],
    handle: async ({ app, params }) => {
      const user = await getUser(app, params.userId);
      return { body: user, etag: user.version };
    },
  }),
  op({
    operationId: 'createUser',
    method: 'post',
    path: '/users',
    scope: 'users:write',
    tag: 'Users',
    summary: 'Add a user',
    description:
      'Either `mode: "password"` (active at once; told by email that an account exists, never the password; by default made to change it at the first login) or `mode: "invite"` (invited; with `sendInvite`, the default, the invite email goes out at once). Creating with an invite needs only `users:write`.',
    body: addUserInput,
    bodyName: 'CreateUserRequest',
    success: { status: 201, description: 'The user was added.', schema: addUserOutput, schemaName: 'CreateUserResult', etag: true, location: true },
    problems: [400, 409, 413, 415, 422],
    handle: async ({ app, actor, body }) => {
      const out = await addUser(app, actor, body);
      return { body: out, etag: out.user.version, location: `/api/v1/users/${out.user.id}` };
    },
  }),
  op({
    operationId: 'updateUser',
    method: 'patch',
    path: '/users/{userId}',
    scope: 'users:write',
    tag: 'Users',
    summary: 'Edit a user',
    description: 'Changes any of first name, last name, organisation and role; fields left out stay as they are. Needs If-Match.',
    params: userIdParams,
    paramDocs: userIdDoc,
    body: apiUpdateUserBody,
    bodyName: 'UpdateUserRequest',
    ifMatch: true,
    success: { status: 200, description: 'The user after the change, and what changed.', schema: updateUserOutput, schemaName: 'UpdateUserResult', etag: true },
    problems: USER_DECISION_PROBLEMS,
    handle: async ({ app, actor, params, body, expectedVersion }) => {
      // Fields left out keep their values; the service refuses the change unless the version is still expectedVersion.
      const current = await getUser(app, params.userId);
      const out = await updateUser(app, actor, {
        userId: params.userId,
        expectedVersion,
        firstName: body.firstName ?? current.firstName,
        lastName: body.lastName ?? current.lastName,
        organisationId: body.organisationId ?? current.organisation.id,
        role: body.role ?? current.role,
      });
      return { body: out, etag: out.user.version };
    },
  }),
  userDecision({
    operationId: 'activateUser',
    verb: 'activate',
    summary: 'Activate a user',
    description: 'Approves a pending registration, or reactivates an inactive user. The user is emailed. Needs If-Match.',
    decide: ({ app, actor, params, expectedVersion }) => activateUser(app, actor, params.userId, expectedVersion),
  }),
  userDecision({
    operationId: 'rejectUser',
    verb: 'reject',
    summary: 'Reject a registration',
    description: 'Rejects a pending registration, with an optional reason the user is told by email and at login. Needs If-Match.',
    body: apiRejectUserBody,
    bodyName: 'RejectUserRequest',
    decide: ({ app, actor, params, body, expectedVersion }) => rejectUser(app, actor, params.userId, expectedVersion, body.reason),
  }),
  userDecision({
    operationId: 'reconsiderUser',
    verb: 'reconsider',
    summary: 'Reconsider a rejected registration',
    description: 'Back to the pending queue (`to: "pending"`) or straight to active; `notify` emails the user. Needs If-Match.',
    body: apiReconsiderUserBody,
    bodyName: 'ReconsiderUserRequest',
    decide: ({ app, actor, params, body, expectedVersion }) =>
      reconsiderUser(app, actor, { userId: params.userId, expectedVersion, to: body.to, notify: body.notify }),
  }),
  userDecision({
    operationId: 'deactivateUser',
    verb: 'deactivate',
    summary: 'Deactivate a user',
    description: 'The user can no longer log in and every session of theirs ends. The last active administrator cannot be deactivated. Needs If-Match.',
    decide: ({ app, actor, params, expectedVersion }) => deactivateUser(app, actor, params.userId, expectedVersion),
  }),
  op({
    operationId: 'deleteUser',
    method: 'delete',
    path: '/users/{userId}',
    scope: 'users:write',
    tag: 'Users',
    summary: 'Delete a user',
    description: 'Removes the user (their sessions and tokens go with them); their history stays in the event feed. Needs If-Match.',
    params: userIdParams,
    paramDocs: userIdDoc,
    ifMatch: true,
    success: { status: 204, description: 'The user was deleted.' },
    problems: [400, 404, 409, 412, 428],
    handle: async ({ app, actor, params, expectedVersion }) => {
      await deleteUser(app, actor, params.userId, expectedVersion);
      return {};
    },
  }),

  // ---------------------------------------------------------------------------------------------
  // Invites
  op({
    operationId: 'listUserInvites',
    method: 'get',
    path: '/users/{userId}/invites',
    scope: 'users:read',
    tag: 'Invites',
    summary: "A user's invites",
    description: 'Whether an invite may be sent (only to a user without a password), the newest invite and every invite so far.',
    params: userIdParams,
    paramDocs: userIdDoc,
    success: { status: 200, description: "The user's invites, newest first.", schema: invitesForUserOutput, schemaName: 'UserInvites' },
    problems: [404],
    handle: async ({ app, params }) => ({ body: await invitesForUser(app, params.userId) }),
  }),
  op({
    operationId: 'sendInvite',
    method: 'post',
    path: '/users/{userId}/invites',
    scope: 'invites:write',
    tag: 'Invites',
    summary: 'Send an invite',
    description: 'Emails a new invite link to a user without a password.',
    params: userIdParams,
    paramDocs: userIdDoc,
    success: { status: 201, description: 'The invite that was sent.', schema: inviteActionOutput, schemaName: 'InviteResult' },
    problems: [400, 404, 409, 413, 415, 422],
    handle: async ({ app, actor, params }) => ({ body: { invite: await sendInvite(app, actor, params.userId, 'send') } }),
  }),
  op({
    operationId: 'resendInvite',
    method: 'post',
    path: '/users/{userId}/invites/resend',
    scope: 'invites:write',
    tag: 'Invites',
    summary: 'Resend the invite',
    description: 'Replaces the pending invite with a new link (the old one stops working) and emails it.',
    params: userIdParams,
    paramDocs: userIdDoc,
    success: { status: 200, description: 'The new invite.', schema: inviteActionOutput, schemaName: 'InviteResult' },
    problems: [400, 404, 409, 413, 415, 422],
    handle: async ({ app, actor, params }) => ({ body: { invite: await sendInvite(app, actor, params.userId, 'resend') } }),
  }),
  op({
    operationId: 'revokeInvite',
    method: 'post',
    path: '/users/{userId}/invites/revoke',
    scope: 'invites:write',
    tag: 'Invites',
    summary: 'Revoke the invite',
    description: 'The pending invite link stops working at once.',
    params: userIdParams,
    paramDocs: userIdDoc,
    success: { status: 200, description: 'The revoked invite.', schema: inviteActionOutput, schemaName: 'InviteResult' },
    problems: [400, 404, 409, 413, 415, 422],
    handle: async ({ app, actor, params }) => ({ body: { invite: await revokeInvite(app, actor, params.userId) } }),
  }),

  // ---------------------------------------------------------------------------------------------
  // Organisations
  op({
    operationId: 'listOrganisations',
    method: 'get',
    path: '/organisations',
    scope: 'organisations:read',
    tag: 'Organisations',
    summary: 'List organisations',
    success: { status: 200, description: 'Every organisation, with its number of users.', schema: organisationListOutput, schemaName: 'OrganisationList' },
    problems: [],
    handle: async ({ app }) => ({ body: { items: await listOrganisations(app.em()) } }),
  }),
  op({
    operationId: 'getOrganisation',
    method: 'get',
    path: '/organisations/{organisationId}',
    scope: 'organisations:read',
    tag: 'Organisations',
    summary: 'Get an organisation',
    description: "The ETag header carries the organisation's version (also `version` in the body): send it back as If-Match to rename or delete it.",
    params: organisationIdParams,
    paramDocs: organisationIdDoc,
    success: { status: 200, description: 'The organisation.', schema: organisationSchema, schemaName: 'Organisation', etag: true },
    problems: [404],
    handle: async ({ app, params }) => {
      const org = await findOrganisation(app.em(), params.organisationId);
      if (!org) throw new ProblemException({ status: 404, detail: 'There is no organisation with this id.', reason: 'NOT_FOUND' });
      return { body: org, etag: org.version };
    },
  }),
  op({
    operationId: 'createOrganisation',
    method: 'post',
    path: '/organisations',
    scope: 'organisations:write',
    tag: 'Organisations',
    summary: 'Create an organisation',
    description: 'Names are unique regardless of case, Unicode form and runs of spaces.',
    body: apiOrganisationBody,
    bodyName: 'OrganisationRequest',
    success: { status: 201, description: 'The new organisation.', schema: organisationSchema, schemaName: 'Organisation', etag: true, location: true },
    problems: [400, 409, 413, 415, 422],
    handle: async ({ app, actor, body }) => {
      const org = await createOrganisation(app, actor.id, body);
      return { body: org, etag: org.version, location: `/api/v1/organisations/${org.id}` };
    },
  }),
  op({
    operationId: 'renameOrganisation',
    method: 'patch',
    path: '/organisations/{organisationId}',
    scope: 'organisations:write',
    tag: 'Organisations',
    summary: 'Rename an organisation',
    description: "Needs If-Match with the organisation's ETag; a new name gives it a new version.",
    params: organisationIdParams,
    paramDocs: organisationIdDoc,
    body: apiOrganisationBody,
    bodyName: 'OrganisationRequest',
    ifMatch: true,
    success: { status: 200, description: 'The organisation after the change.', schema: organisationSchema, schemaName: 'Organisation', etag: true },
    problems: [400, 404, 409, 412, 413, 415, 422, 428],
    handle: async ({ app, actor, params, body, expectedVersion }) => {
      const org = await renameOrganisation(app, actor.id, { id: params.organisationId, name: body.name }, expectedVersion);
      return { body: org, etag: org.version };
    },
  }),
  op({
    operationId: 'deleteOrganisation',
    method: 'delete',
    path: '/organisations/{organisationId}',
    scope: 'organisations:write',
    tag: 'Organisations',
    summary: 'Delete an organisation',
    description: 'Only an organisation nobody belongs to; never the default one. Needs If-Match with its ETag.',
    params: organisationIdParams,
    paramDocs: organisationIdDoc,
    ifMatch: true,
    success: { status: 204, description: 'The organisation was deleted.' },
    problems: [400, 404, 409, 412, 428],
    handle: async ({ app, actor, params, expectedVersion }) => {
      await deleteOrganisation(app, actor.id, params.organisationId, expectedVersion);
      return {};
    },
  }),

  // ---------------------------------------------------------------------------------------------
  // Events
  op({
    operationId: 'listEvents',
    method: 'get',
    path: '/events',
    scope: 'events:read',
    tag: 'Events',
    summary: 'Events since an id',
    description:
      'Every domain event (`user.*`, `invite.*`, `organisation.*`, `settings.changed`, `email.*`, …) with an id above `after`, oldest first. Ids become visible in commit order, so polling with the last `nextAfter` never misses an event. Changes made with an API token name it in `actorToken`.',
    query: eventFeedInput,
    paramDocs: {
      after: "Events with an id above this one (0: from the beginning); the previous page's `nextAfter`.",
      limit: 'At most this many events, 1 to 500.',
    },
    success: { status: 200, description: 'The next events.', schema: eventFeedOutput, schemaName: 'EventFeed' },
    problems: [400, 422],
    handle: async ({ app, query }) => {
      const rows = await feedEventsAfter(app.em(), query.after, query.limit + 1);
      const items = rows.slice(0, query.limit);
      return { body: { items, nextAfter: items.length ? items[items.length - 1]!.id : query.after, hasMore: rows.length > query.limit } };
    },
  }),

  // ---------------------------------------------------------------------------------------------
  // Settings
  op({
    operationId: 'getSettings',
    method: 'get',
    path: '/settings',
    scope: 'settings:read',
    tag: 'Settings',
    summary: 'Read the general settings',
    description:
      'The ETag header carries the version of the general settings: send it back as If-Match with PUT. Any change (here or in the app) gives a new one.',
    success: { status: 200, description: 'Settings › General.', schema: generalSettingsSchema, schemaName: 'GeneralSettings', etag: true },
    problems: [],
    handle: async ({ app }) => {
      const { settings, version } = await getGeneralSettingsVersioned(app);
      return { body: settings, etag: version };
    },
  }),
  op({
    operationId: 'updateSettings',
    method: 'put',
    path: '/settings',
    scope: 'settings:write',
    tag: 'Settings',
    summary: 'Replace the general settings',
    description:
      'Send every field (read them first with GET) and If-Match with the ETag of that read. Only the fields that differ are written; one `settings.changed` event lists them.',
    body: apiGeneralSettingsBody,
    bodyName: 'GeneralSettingsRequest',
    ifMatch: true,
    success: { status: 200, description: 'The settings as saved.', schema: generalSettingsSchema, schemaName: 'GeneralSettings', etag: true },
    problems: [400, 412, 413, 415, 422, 428],
    handle: async ({ app, actor, body, expectedVersion }) => {
      const { settings, version } = await saveGeneralSettings(app, actor, body, expectedVersion);
      return { body: settings, etag: version };
    },
  }),
];

/** Schemas that appear inside several answers, named once under components.schemas. */
export const SHARED_COMPONENTS: Record<string, Schema> = {
  User: userSnapshotSchema,
  Invite: inviteStateSchema,
  FeedEvent: feedEventSchema,
};
