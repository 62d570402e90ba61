import { Writable } from 'node:stream';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, sql, type TestApp } from '../../support/app.js';
import { adminSession, developerSession, insertUser } from '../../support/users.js';
import { SESSION_COOKIE } from '../../../shared/constants.js';
import { AUDIT_EXPORT_PATH } from '../../../shared/schemas/audit.js';
import { AUDIT_CSV_COLUMNS, neutraliseCell, writeAuditCsv } from '../../../server/audit/audit.service.js';

/** RFC 4180 parsing (quoted fields, "" escapes, CR LF inside quotes): what a spreadsheet reads. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const endField = () => {
    row.push(field);
    field = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') endField();
    else if (c === '\r' && text[i + 1] === '\n') {
      endField();
      rows.push(row);
      row = [];
      i++;
    } else field += c;
  }
  if (field !== '' || row.length) {
    endField();
    rows.push(row);
  }
  return rows;
}

const HOSTILE_NAMES = ['=1+2', '+SUM(A1:A9)', '-2+3', '@SUM(A1)', '\tTab', '\rCarriage', '＝1+2', '＋1', '－1', '＠cmd', '  =HYPERLINK("x")', '\u3000=1'];

describe('audit log CSV export', () => {
  let app: TestApp;
  let admin: Awaited<ReturnType<typeof adminSession>>;
  const cookie = (sessionId: string) => `${SESSION_COOKIE}=${sessionId}`;
  const exportUrl = (q = '') => `${app.url}${AUDIT_EXPORT_PATH}${q}`;

  beforeAll(async () => {
    app = await startTestApp();
    admin = await adminSession(app);
  });
  afterAll(() => app.stop());

  it('neutralises every cell that could start a formula, and only those', () => {
    for (const v of HOSTILE_NAMES) expect(neutraliseCell(v)).toBe(`'${v}`);
    for (const v of ['Ada', 'a=b', 'x-1', 'mail@example.test', '', '100', '(1)']) expect(neutraliseCell(v)).toBe(v);
  });

  it('exports the filtered view over HTTP with the admin cookie; hostile names are neutralised', async () => {
    for (const [i, firstName] of HOSTILE_NAMES.entries()) {
      const u = await insertUser(app, { status: 'pending', firstName, lastName: `Hostile${i}` });
      await admin.caller.admin.users.activate({ userId: u.id, expectedVersion: 1 });
    }
    const res = await fetch(exportUrl('?action=user.activated&target=hostile'), { headers: { cookie: cookie(admin.sessionId) } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="audit-log-\d{8}-\d{4}\.csv"$/);
    const bytes = Buffer.from(await res.arrayBuffer());
    // A UTF-8 byte order mark first, so spreadsheets read names in UTF-8.
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const [header, ...rows] = parseCsv(bytes.subarray(3).toString('utf8'));
    expect(header).toEqual([...AUDIT_CSV_COLUMNS]);
    expect(rows).toHaveLength(HOSTILE_NAMES.length);
    const col = (name: (typeof AUDIT_CSV_COLUMNS)[number]) => header!.indexOf(name);
    // Newest first: the last hostile user activated is the first row.
    const names = rows.map((r) => r[col('target_name')]).reverse();
    // (A name's leading spaces are trimmed when it is shown; the formula guard then still applies.)
    expect(names).toEqual(HOSTILE_NAMES.map((n, i) => `'${n.replace(/^ +/, '')} Hostile${i}`));
    for (const r of rows) {
      expect(r[col('action')]).toBe('user.activated');
      expect(r[col('actor_id')]).toBe(admin.id);
      // No cell of any row starts a formula.
      for (const cell of r) expect(cell).not.toMatch(/^[\s\u3000]*[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/u);
      // The sentence starts with the actor; the data column is the event's JSON, parseable after the guard.
      expect(r[col('event')]).toMatch(/^Test User activated /);
      expect(JSON.parse(r[col('data')]!).user.lastName).toMatch(/^Hostile\d+$/);
    }
  });

  it('refuses without a session (401), for a developer (403), cross-site (403), bad filters (400), other methods (405)', async () => {
    expect((await fetch(exportUrl())).status).toBe(401);
    const dev = await developerSession(app);
    expect((await fetch(exportUrl(), { headers: { cookie: cookie(dev.sessionId) } })).status).toBe(403);
    const h = { cookie: cookie(admin.sessionId) };
    expect((await fetch(exportUrl(), { headers: { ...h, origin: 'https://evil.example' } })).status).toBe(403);
    expect((await fetch(exportUrl(), { headers: { ...h, 'sec-fetch-site': 'cross-site' } })).status).toBe(403);
    for (const q of [
      '?action=DROP',
      '?from=yesterday',
      '?limit=5',
      '?actor=a&actor=b',
      `?actor=${'x'.repeat(101)}`,
      '?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z',
    ]) {
      const res = await fetch(exportUrl(q), { headers: h });
      expect(res.status, q).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    }
    expect((await fetch(exportUrl(), { method: 'POST', headers: { ...h, origin: app.origin } })).status).toBe(405);
    // The same-origin page's download works.
    expect((await fetch(exportUrl(), { headers: { ...h, origin: app.origin, 'sec-fetch-site': 'same-origin' } })).status).toBe(200);
  });

  describe('a large export (20,000 events)', () => {
    let target: { id: string };
    beforeAll(async () => {
      target = await insertUser(app, { firstName: 'Bulk', lastName: 'Target' });
      await sql(
        app,
        `insert into domain_event (type, actor_id, user_id, data, created_at)
         select 'user.updated', ?, ?, jsonb_build_object('user', jsonb_build_object('id', ?::text, 'email', 'bulk@example.test', 'firstName', 'Bulk', 'lastName', 'Target', 'organisationId', '00000000-0000-0000-0000-000000000000'), 'changes', jsonb_build_object('n', jsonb_build_object('from', g, 'to', g + 1))), now()
           from generate_series(1, 20000) g`,
        [admin.id, target.id, target.id],
      );
    });

    it('reads from the database only as fast as the consumer takes rows (backpressure), then completes', async () => {
      let fetched = 0;
      let received = 0;
      let release: (() => void) | null = null;
      let paused = true;
      const held: (() => void)[] = [];
      // A consumer that stops taking data after its first chunk until released.
      const sink = new Writable({
        highWaterMark: 16 * 1024,
        write(chunk: Buffer, _enc, cb) {
          received += chunk.length;
          if (paused) held.push(cb);
          else cb();
        },
      });
      const done = writeAuditCsv(app.services, { target: 'bulk target' }, sink, { batch: 500, onBatch: (n) => (fetched += n) });
      // Wait until the export has stalled on the paused consumer: the number of rows fetched stops moving.
      let last = -1;
      while (fetched !== last || held.length === 0) {
        last = fetched;
        await new Promise((r) => setTimeout(r, 150));
      }
      expect(fetched).toBeGreaterThan(0);
      expect(fetched).toBeLessThanOrEqual(1500);
      expect(received).toBeLessThan(1024 * 1024);
      release = () => {
        paused = false;
        for (const cb of held.splice(0)) cb();
      };
      release();
      const rows = await done;
      expect(rows).toBe(20000);
      expect(fetched).toBe(20000);
      // Shared cores: 40 batches can take a while when the machine is busy.
    }, 120_000);

    it('streams all of them over HTTP, each once, newest first', async () => {
      const text = await new Promise<string>((resolve, reject) => {
        const req = request(exportUrl('?target=bulk%20target&action=user.updated'), { headers: { cookie: cookie(admin.sessionId) } }, (res) => {
          expect(res.statusCode).toBe(200);
          // No Content-Length: the body is streamed as it is produced.
          expect(res.headers['content-length']).toBeUndefined();
          expect(res.headers['transfer-encoding']).toBe('chunked');
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end();
      });
      const [, ...rows] = parseCsv(text.slice(1));
      expect(rows).toHaveLength(20000);
      const ids = rows.map((r) => Number(r[0]));
      expect(new Set(ids).size).toBe(20000);
      expect(ids).toEqual([...ids].sort((a, b) => b - a));
    }, 120_000);
  });
});
