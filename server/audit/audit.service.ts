import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import type { AppServices } from '../app-services.js';
import type { AuditEvent, AuditFilter, AuditListOutput } from '../../shared/schemas/audit.js';
import { auditPage, resolveAuditFilter } from './audit.repository.js';

/** One page of Portal › Audit log. The cursor is the id of the last event shown: ids only grow, so new events never shift a page. */
export async function listAuditEvents(app: AppServices, input: { filter: AuditFilter; cursor?: string | null; limit: number }): Promise<AuditListOutput> {
  const em = app.em();
  const rows = await auditPage(em, await resolveAuditFilter(em, input.filter), input.cursor ? Number(input.cursor) : null, input.limit + 1);
  const items = rows.slice(0, input.limit);
  return { items, nextCursor: rows.length > input.limit ? String(items[items.length - 1]!.id) : null };
}

// ---------------------------------------------------------------------------------------------
// CSV export

/**
 * Characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection"): = + - @,
 * tab and carriage return, and their full-width forms (＝ ＋ － ＠), which some spreadsheets fold
 * to the ASCII ones. Leading spaces do not hide them: some spreadsheets trim before parsing.
 */
const FORMULA_START = /^[\s\u3000]*[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/u;

/** A cell as text a spreadsheet shows as is: one that could start a formula gets a leading apostrophe. */
export function neutraliseCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

export const AUDIT_CSV_COLUMNS = [
  'id',
  'time',
  'action',
  'event',
  'actor_name',
  'actor_email',
  'actor_id',
  'target_name',
  'target_email',
  'target_id',
  'organisation',
  'api_token',
  'data',
] as const;

function csvRecord(e: AuditEvent): string[] {
  const person = (p: AuditEvent['actor']) => [p ? (p.name ?? (p.deleted ? '(deleted user)' : '')) : '', p?.email ?? '', p?.id ?? ''];
  return [
    String(e.id),
    e.createdAt,
    e.type,
    e.sentence,
    ...person(e.actor),
    ...person(e.target),
    e.organisation?.name ?? '',
    e.token?.name ?? '',
    JSON.stringify(e.data),
  ].map(neutraliseCell);
}

/** Rows fetched per query while exporting: the most the export holds in memory at once (plus the streams' small buffers). */
export const EXPORT_BATCH = 500;

/**
 * Writes the filtered audit log as CSV (header, then newest first) to `out`. Rows are read in keyset
 * batches only as fast as `out` takes them: Readable.from pulls the next row when the CSV
 * stringifier asks, which asks only while `out` is below its high-water mark. Events committed
 * during the export are not included (it starts below the newest id it saw first).
 */
export async function writeAuditCsv(
  app: AppServices,
  filter: AuditFilter,
  out: Writable,
  opts: { batch?: number; onBatch?: (rows: number) => void; signal?: AbortSignal } = {},
): Promise<number> {
  const batch = opts.batch ?? EXPORT_BATCH;
  let written = 0;
  async function* records(): AsyncGenerator<string[]> {
    const resolved = await resolveAuditFilter(app.em(), filter);
    let before: number | null = null;
    for (;;) {
      const page = await auditPage(app.em(), resolved, before, batch);
      opts.onBatch?.(page.length);
      for (const e of page) {
        written++;
        yield csvRecord(e);
      }
      if (page.length < batch) return;
      before = page[page.length - 1]!.id;
    }
  }
  const source = Readable.from(records(), { highWaterMark: 16 });
  const csv = stringify({ header: true, columns: [...AUDIT_CSV_COLUMNS], bom: true, quoted_string: true, record_delimiter: 'windows' });
  await pipeline(source, csv, out, opts.signal ? { signal: opts.signal } : {});
  return written;
}
