import { randomUUID } from 'node:crypto';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { expect } from 'vitest';
import { sql, type TestApp } from '../../support/app.js';
import { insertUser, uniqueEmail } from '../../support/users.js';
import { apiCall, type ApiResponse } from '../../support/api.js';

/*
 * One valid request per operation of the OpenAPI document, keyed by operationId. The contract and
 * scope tests walk the document and look each operation up here, so an operation added to the
 * document without a case fails them.
 */

export interface CaseRequest {
  /** The path under /api/v1, with real ids (must fit the operation's path template). */
  path: string;
  query?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface CaseContext {
  app: TestApp;
  /** An admin caller (tRPC) for fixtures that need a real flow. */
  admin: { id: string; caller: any };
}

const randomName = (p: string) => `${p} ${randomUUID().slice(0, 8)}`;

async function organisation(ctx: CaseContext): Promise<string> {
  const org = await ctx.admin.caller.admin.organisations.create({ name: randomName('Org') });
  return org.id as string;
}

async function invitedWithInvite(ctx: CaseContext): Promise<string> {
  const u = await insertUser(ctx.app, { status: 'invited', password: null });
  await ctx.admin.caller.admin.invites.send({ userId: u.id });
  return u.id;
}

async function defaultOrganisation(app: TestApp): Promise<string> {
  return (await sql<{ id: string }>(app, `select id from organisation where is_default`))[0]!.id;
}

export const CASES: Record<string, (ctx: CaseContext) => Promise<CaseRequest>> = {
  listUsers: async () => ({ path: '/users', query: '?limit=2&status=all' }),
  getUser: async ({ app }) => ({ path: `/users/${(await insertUser(app)).id}` }),
  createUser: async ({ app }) => ({
    path: '/users',
    body: {
      mode: 'invite',
      firstName: 'Ada',
      lastName: 'Lovelace',
      email: uniqueEmail('api'),
      organisationId: await defaultOrganisation(app),
      sendInvite: true,
    },
  }),
  updateUser: async ({ app }) => ({ path: `/users/${(await insertUser(app)).id}`, body: { firstName: 'Grace' }, headers: { 'if-match': '"1"' } }),
  activateUser: async ({ app }) => ({ path: `/users/${(await insertUser(app, { status: 'pending' })).id}/activate`, headers: { 'if-match': '"1"' } }),
  rejectUser: async ({ app }) => ({
    path: `/users/${(await insertUser(app, { status: 'pending' })).id}/reject`,
    body: { reason: 'Not a partner yet' },
    headers: { 'if-match': '"1"' },
  }),
  reconsiderUser: async ({ app }) => ({
    path: `/users/${(await insertUser(app, { status: 'rejected' })).id}/reconsider`,
    body: { to: 'pending', notify: false },
    headers: { 'if-match': '"1"' },
  }),
  deactivateUser: async ({ app }) => ({ path: `/users/${(await insertUser(app)).id}/deactivate`, headers: { 'if-match': '"1"' } }),
  deleteUser: async ({ app }) => ({ path: `/users/${(await insertUser(app)).id}`, headers: { 'if-match': '"1"' } }),
  listUserInvites: async (ctx) => ({ path: `/users/${await invitedWithInvite(ctx)}/invites` }),
  sendInvite: async ({ app }) => ({ path: `/users/${(await insertUser(app, { status: 'invited', password: null })).id}/invites` }),
  resendInvite: async (ctx) => ({ path: `/users/${await invitedWithInvite(ctx)}/invites/resend` }),
  revokeInvite: async (ctx) => ({ path: `/users/${await invitedWithInvite(ctx)}/invites/revoke` }),
  listOrganisations: async () => ({ path: '/organisations' }),
  getOrganisation: async ({ app }) => ({ path: `/organisations/${await defaultOrganisation(app)}` }),
  createOrganisation: async () => ({ path: '/organisations', body: { name: randomName('Created') } }),
  renameOrganisation: async (ctx) => ({
    path: `/organisations/${await organisation(ctx)}`,
    body: { name: randomName('Renamed') },
    headers: { 'if-match': '"1"' },
  }),
  deleteOrganisation: async (ctx) => ({ path: `/organisations/${await organisation(ctx)}`, headers: { 'if-match': '"1"' } }),
  listEvents: async () => ({ path: '/events', query: '?after=0&limit=5' }),
  getSettings: async () => ({ path: '/settings' }),
  updateSettings: async ({ app }) => {
    const { getGeneralSettingsVersioned } = await import('../../../server/settings/general-settings.service.js');
    const current = await getGeneralSettingsVersioned(app.services);
    return { path: '/settings', body: { ...current.settings, portalName: randomName('Portal') }, headers: { 'if-match': `"${current.version}"` } };
  },
};

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

export interface DocOperation {
  method: string;
  template: string;
  op: any;
}

/** Every operation the document lists. */
export function documentOperations(doc: any): DocOperation[] {
  const out: DocOperation[] = [];
  for (const [template, item] of Object.entries<any>(doc.paths)) {
    for (const method of HTTP_METHODS) if (item[method]) out.push({ method, template, op: item[method] });
  }
  return out;
}

/** The path template as a pattern for a concrete path. */
export function templatePattern(template: string): RegExp {
  return new RegExp('^' + template.replace(/\{[^}]+\}/g, '[^/]+') + '$');
}

/** Sends a case's request for an operation with a token. */
export async function send(app: TestApp, d: DocOperation, req: CaseRequest, token: string | null): Promise<ApiResponse> {
  expect(req.path, `${d.op.operationId}'s case must call ${d.template}`).toMatch(templatePattern(d.template));
  return apiCall(app, d.method.toUpperCase(), `/api/v1${req.path}${req.query ?? ''}`, { token, body: req.body, headers: req.headers });
}

/** Validates answers against the document: the status must be listed, the body must match its schema, documented headers must be there. */
export function responseValidator(doc: any) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema({ $id: 'https://admit.test/openapi.json', components: doc.components });
  const cache = new Map<string, ReturnType<typeof ajv.compile>>();
  return function check(d: DocOperation, res: ApiResponse): void {
    const label = `${d.method.toUpperCase()} ${d.template} → ${res.status} ${res.text.slice(0, 300)}`;
    const documented = d.op.responses[String(res.status)];
    expect(documented, `${label}: status not in the document`).toBeDefined();
    const content = documented.content as Record<string, { schema: any }> | undefined;
    if (!content) {
      expect(res.text, `${label}: documented without a body`).toBe('');
      return;
    }
    const [mediaType, { schema }] = Object.entries(content)[0]!;
    expect(res.headers.get('content-type')?.split(';')[0], label).toBe(mediaType);
    const key = JSON.stringify(schema);
    let validate = cache.get(key);
    if (!validate) {
      const ref = schema.$ref as string | undefined;
      validate = ajv.compile(ref ? { $ref: `https://admit.test/openapi.json${ref}` } : schema);
      cache.set(key, validate);
    }
    const ok = validate(res.body);
    expect(ok, `${label}: ${ajv.errorsText(validate.errors)}`).toBe(true);
    for (const header of Object.keys(documented.headers ?? {})) {
      if (header === 'WWW-Authenticate' || header === 'Retry-After' || header === 'ETag') {
        if (res.status >= 400) continue;
      }
      expect(res.headers.get(header), `${label}: header ${header}`).toBeTruthy();
    }
  };
}

/** A fingerprint of everything a write could change: users, organisations, settings, events (not email.*: the mail worker appends those for earlier fixtures), outbox, invites. */
export async function stateFingerprint(app: TestApp): Promise<string> {
  const [row] = await sql<{ f: string }>(
    app,
    `select concat_ws('|',
       (select md5(coalesce(string_agg(u::text, ',' order by u.id), '')) from app_user u),
       (select md5(coalesce(string_agg(o::text, ',' order by o.id), '')) from organisation o),
       (select md5(coalesce(string_agg(s::text, ',' order by s.key), '')) from setting s),
       (select count(*) || ':' || coalesce(max(id), 0) from domain_event where type not like 'email.%'),
       (select count(*) from email_outbox),
       (select count(*) from auth_token)) as f`,
  );
  return row!.f;
}
