import type { EntityManager } from '@mikro-orm/postgresql';
import type { Knex } from '@mikro-orm/postgresql';

/**
 * The hot path's statements (a sign-up, the mail worker's claims and marks, event appends) straight
 * to the pg connection under MikroORM: the caller's transaction connection when it is in one, else
 * one borrowed from the same knex pool. `em.execute` spends about 260 µs of CPU per statement here
 * (formatting the parameters into the text, logging, knex's query builder and events) against about
 * 65 µs for the same statement this way (`npm run bench:signup` shows what it saves per sign-up).
 *
 * Same SQL as `em.execute`: `?` placeholders (never inside quoted text), sent as bind parameters
 * ($1, $2…, so nothing is formatted into the text), the same connection, type parsers and
 * transaction. Parameters are scalars, Dates or null: a list or an object must be serialised by
 * the caller (JSON.stringify for jsonb, `{a,b}` for an array literal), as the statements here do.
 * Errors are pg's own (SQLSTATE in `code`), which db/faults.ts recognises like MikroORM's.
 */
export async function query<T extends object = Record<string, unknown>>(em: EntityManager, text: string, params: readonly unknown[] = []): Promise<T[]> {
  const values = params.map(checkParam);
  const trx = em.getTransactionContext<Knex.Transaction>();
  if (trx) {
    if (trx.isCompleted()) throw new Error('query: the transaction has already ended');
    // knex's transaction client always hands out the transaction's own connection.
    const connection = (await (trx.client as Knex.Client).acquireConnection()) as PgConnection;
    return (await connection.query(numbered(text), values)).rows as T[];
  }
  const client = em.getConnection().getKnex().client as Knex.Client;
  const connection = (await client.acquireConnection()) as PgConnection;
  try {
    return (await connection.query(numbered(text), values)).rows as T[];
  } finally {
    await client.releaseConnection(connection);
  }
}

interface PgConnection {
  query(text: string, values: unknown[]): Promise<{ rows: unknown[] }>;
}

function checkParam(value: unknown): unknown {
  if (value === undefined) return null;
  if (value === null || value instanceof Date || typeof value !== 'object') return value;
  throw new TypeError('query: a parameter must be a scalar, a Date or null (serialise lists and objects in the statement)');
}

const converted = new Map<string, string>();

/** `?` → `$1`, `$2`… outside quoted text and identifiers; cached per statement text. */
export function numbered(text: string): string {
  let out = converted.get(text);
  if (out !== undefined) return out;
  let n = 0;
  let quote: string | null = null;
  out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === quote) quote = null;
      out += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
    } else if (ch === '?') {
      if (text[i + 1] === '?') throw new Error('query: `??` (a knex identifier binding) is not supported');
      out += `$${++n}`;
    } else {
      out += ch;
    }
  }
  if (converted.size < 1000) converted.set(text, out);
  return out;
}
