import * as z from 'zod/mini';
import type { OpenAPIV3_1 } from 'openapi-types';
import { API_SCOPES, API_SCOPE_DESCRIPTIONS, API_TOKEN_PREFIX } from '../../shared/api-scopes.js';
import { API_TAGS, OPERATIONS, SHARED_COMPONENTS, versionedResource, type Operation } from './operations.js';
import { PROBLEM_CONTENT_TYPE, problemSchema, statusTitle } from './problem.js';

/*
 * The OpenAPI 3.1 document, built from the operation table and the shared zod/mini schemas with
 * zod's own JSON Schema generator (draft 2020-12, which is OpenAPI 3.1's schema dialect). Request
 * schemas are generated as the server reads them (`io: 'input'`: a field with a default is
 * optional), answers as it writes them (`io: 'output'`).
 */

type JsonSchema = Record<string, unknown>;
const REF = (name: string) => `#/components/schemas/${name}`;

/** Problems every operation may answer: no or a bad token, the wrong scope, the token's rate limit, and the server's own failures. */
const COMMON_PROBLEMS = [401, 403, 429, 500, 503];

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'Malformed request: JSON that does not parse, a malformed If-Match, an unknown or repeated query parameter, an invalid cursor.',
  401: 'No API token, or one that is unknown, revoked, expired or whose owner is no longer an active administrator.',
  403: "The token lacks this operation's scope, its owner must change their password first, or the change is not allowed (`reason` says which).",
  404: 'No such resource (an id that is not a UUID included).',
  409: "The change conflicts with the resource's state: a transition its status does not allow, the last administrator, a taken name or email, …",
  412: 'If-Match does not name the current version: someone changed the resource since you read it. The ETag header carries the current version, and `details` the current state (`details.user`, `details.organisation`, or `details.settings` with `details.version`).',
  413: 'The request body is larger than 64 KiB.',
  415: 'The request body is not `application/json`.',
  422: 'The request is well-formed but a value is refused; `errors` lists each field with its message.',
  428: 'This operation needs If-Match with the ETag of the resource (user, organisation or settings) as you last read it.',
  429: 'Too many requests with this token; Retry-After says when to try again.',
  500: 'Something went wrong on the server; the server log has the request id.',
  503: 'The database did not answer in time; try again.',
};

function strip(schema: JsonSchema): JsonSchema {
  const { $schema: _s, $id: _i, ...rest } = schema;
  return rest;
}

// z.undefined() (a key that must be absent) has no JSON Schema form of its own: "no value allowed".
const override = (ctx: { zodSchema: unknown; jsonSchema: JsonSchema }) => {
  const def = (ctx.zodSchema as { _zod: { def: { type: string } } })._zod.def;
  if (def.type === 'undefined') {
    for (const k of Object.keys(ctx.jsonSchema)) Reflect.deleteProperty(ctx.jsonSchema, k);
    ctx.jsonSchema.not = {};
  }
  // z.int()'s own bounds (±2^53-1) say nothing to a reader and make Redoc's samples odd.
  if (ctx.jsonSchema.minimum === Number.MIN_SAFE_INTEGER) Reflect.deleteProperty(ctx.jsonSchema, 'minimum');
  if (ctx.jsonSchema.maximum === Number.MAX_SAFE_INTEGER) Reflect.deleteProperty(ctx.jsonSchema, 'maximum');
};

function componentSchemas(io: 'input' | 'output', named: Map<string, z.ZodMiniType>): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of named) registry.add(schema, { id });
  const out = z.toJSONSchema(registry, { io, target: 'draft-2020-12', unrepresentable: 'any', uri: REF, override }) as { schemas: Record<string, JsonSchema> };
  return Object.fromEntries(Object.entries(out.schemas).map(([k, v]) => [k, strip(v)]));
}

function inlineSchema(schema: z.ZodMiniType): JsonSchema {
  return strip(z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any', override }));
}

/** The query parameters' schemas by name (integers are what rest.ts converts from the query string). */
export function queryParameterSchemas(operation: Operation): Record<string, JsonSchema> {
  if (!operation.query) return {};
  const s = inlineSchema(operation.query);
  return (s.properties ?? {}) as Record<string, JsonSchema>;
}

function parameters(operation: Operation): OpenAPIV3_1.ParameterObject[] {
  const out: OpenAPIV3_1.ParameterObject[] = [];
  const docs = operation.paramDocs ?? {};
  if (operation.params) {
    const props = (inlineSchema(operation.params).properties ?? {}) as Record<string, JsonSchema>;
    for (const [name, schema] of Object.entries(props)) out.push({ name, in: 'path', required: true, description: docs[name], schema });
  }
  if (operation.query) {
    const s = inlineSchema(operation.query);
    const required = new Set((s.required ?? []) as string[]);
    for (const [name, schema] of Object.entries(queryParameterSchemas(operation))) {
      out.push({ name, in: 'query', required: required.has(name), description: docs[name], schema });
    }
  }
  if (operation.ifMatch) {
    out.push({
      name: 'If-Match',
      in: 'header',
      required: true,
      description: `The ETag of ${versionedResource(operation).noun} as you last read it (${versionedResource(operation).read}), e.g. \`"3"\`.`,
      schema: { type: 'string', pattern: '^"[0-9]+"$' },
    });
  }
  return out;
}

const problemResponse = (status: number): OpenAPIV3_1.ResponseObject => ({
  description: PROBLEM_DESCRIPTIONS[status] ?? statusTitle(status),
  headers:
    status === 429
      ? { 'Retry-After': { description: 'Seconds to wait before the next request.', schema: { type: 'integer' } } }
      : status === 412
        ? { ETag: { description: 'The current version of the resource.', schema: { type: 'string' } } }
        : status === 401
          ? { 'WWW-Authenticate': { description: 'Bearer challenge (RFC 6750).', schema: { type: 'string' } } }
          : undefined,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: REF('Problem') } } },
});

const INTRO = `The REST API of Admit, for automation: everything the admin pages do with users, invites, organisations, the general settings and the event feed.

## Authentication
Every request carries an API token created under **Settings › API tokens**: \`Authorization: Bearer ${API_TOKEN_PREFIX}…\`. Each operation needs one scope (shown on the operation); a token without it gets 403. Tokens are rate-limited per token (429 with Retry-After). Changes made with a token are recorded as the token owner's, naming the token.

| scope | allows |
|---|---|
${API_SCOPES.map((s) => `| \`${s}\` | ${API_SCOPE_DESCRIPTIONS[s]} |`).join('\n')}

## Errors
Every error is an RFC 9457 problem (\`application/problem+json\`): \`type\`, \`title\`, \`status\`, \`detail\`, \`instance\`, plus \`reason\` (a stable machine-readable code such as \`USER_CHANGED\`, \`INVALID_TRANSITION\`, \`LAST_ADMIN\`, \`EMAIL_TAKEN\`), \`errors\` (one entry per refused field: a JSON \`pointer\` into the body, or the query \`parameter\` or \`header\`), \`details\` and \`requestId\`.

## Concurrency
Answers about a user, an organisation or the general settings carry \`ETag: "<version>"\`. Every change of one (a user's edit, activate, reject, reconsider, deactivate, delete; an organisation's rename and delete; the settings' PUT) needs \`If-Match\` with that value: without it the answer is 428, and when it changed since you read it (here or in the app), 412 with the current version in ETag and the current state in \`details\` (as two admins deciding at once: exactly one wins).

## Paging
\`GET /users\` pages with an opaque keyset cursor (\`nextCursor\`, null on the last page); \`GET /events\` with the last event id (\`nextAfter\`). Neither skips nor repeats a row when data changes between pages.

## Limits
JSON only (\`Content-Type: application/json\`, UTF-8), bodies up to 64 KiB, unknown body fields and query parameters are refused.`;

let cached: OpenAPIV3_1.Document | undefined;

/** The document (built once per process; it depends on code only). */
export function openApiDocument(): OpenAPIV3_1.Document {
  return (cached ??= buildOpenApiDocument(OPERATIONS));
}

export function buildOpenApiDocument(operations: Operation[]): OpenAPIV3_1.Document {
  const outputs = new Map<string, z.ZodMiniType>(Object.entries(SHARED_COMPONENTS));
  outputs.set('Problem', problemSchema);
  const inputs = new Map<string, z.ZodMiniType>();
  for (const o of operations) {
    if (o.success.schema && o.success.schemaName) {
      const prev = outputs.get(o.success.schemaName);
      if (prev && prev !== o.success.schema) throw new Error(`Two schemas named ${o.success.schemaName}`);
      outputs.set(o.success.schemaName, o.success.schema);
    }
    if (o.body && o.bodyName) inputs.set(o.bodyName, o.body);
  }
  const schemas = { ...componentSchemas('output', outputs), ...componentSchemas('input', inputs) };

  const paths: OpenAPIV3_1.PathsObject = {};
  for (const o of operations) {
    const successHeaders: Record<string, OpenAPIV3_1.HeaderObject> = {};
    if (o.success.etag) successHeaders.ETag = { description: `The version of ${versionedResource(o).noun}, for If-Match.`, schema: { type: 'string' } };
    if (o.success.location) successHeaders.Location = { description: 'Where the new resource is.', schema: { type: 'string' } };
    const responses: OpenAPIV3_1.ResponsesObject = {
      [o.success.status]: {
        description: o.success.description,
        ...(Object.keys(successHeaders).length ? { headers: successHeaders } : {}),
        ...(o.success.schemaName ? { content: { 'application/json': { schema: { $ref: REF(o.success.schemaName) } } } } : {}),
      },
    };
    for (const status of [...new Set([...o.problems, ...COMMON_PROBLEMS])].sort((a, b) => a - b)) responses[status] = problemResponse(status);
    const operation: OpenAPIV3_1.OperationObject & { 'x-scope': string } = {
      operationId: o.operationId,
      tags: [o.tag],
      summary: o.summary,
      description: [o.description, `Scope: \`${o.scope}\`.`].filter(Boolean).join('\n\n'),
      security: [{ bearer: [o.scope] }],
      'x-scope': o.scope,
      parameters: parameters(o),
      responses,
    };
    if (o.body && o.bodyName) {
      operation.requestBody = { required: true, content: { 'application/json': { schema: { $ref: REF(o.bodyName) } } } };
    }
    const item = (paths[o.path] ??= {}) as Record<string, unknown>;
    if (item[o.method]) throw new Error(`Two operations for ${o.method.toUpperCase()} ${o.path}`);
    item[o.method] = operation;
  }

  return {
    openapi: '3.1.0',
    info: { title: 'Admit REST API', version: '1.0.0', description: INTRO },
    servers: [{ url: '/api/v1' }],
    tags: API_TAGS.map((t) => ({ ...t })),
    paths,
    components: {
      schemas,
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: `${API_TOKEN_PREFIX}…`,
          description: 'A personal API token (Settings › API tokens). Each operation lists the one scope it needs.',
        },
      },
    },
  };
}
