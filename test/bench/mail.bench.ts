/**
 * `npm run bench:mail`: how fast emails render, and how fast the outbox worker delivers rows to a
 * real SMTP server running in this process, beside the floor (raw pooled nodemailer, same
 * messages, same server, same concurrency) in the same run, with the ratio and the CPU per email
 * of this process and of PostgreSQL. Both paths are warmed up first (BENCH_WARMUP rows each).
 * Uses TEST_DATABASE_URL, else PostgreSQL on 127.0.0.1:5432 when it answers, else an embedded
 * PostgreSQL in a temporary folder.
 */
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { parseConfig } from '../../server/config.js';
import { startApp, type RunningApp } from '../../server/app.js';
import { createLogger } from '../../server/logger.js';
import { compileEmailTemplates, sampleVariables } from '../../server/mail/renderer.js';
import { queueEmail } from '../../server/mail/outbox.js';
import { createMailWorker } from '../../server/mail/worker.js';
import { createSmtpTransport } from '../../server/mail/transports.js';
import { EMAIL_TEMPLATE_NAMES } from '../../emails/templates.js';
import { startSmtpPeer } from '../support/smtp.js';
import { choosePostgres } from '../support/pg-server.js';
import nodemailer from 'nodemailer';
import { machineLine, postgresCpu } from './bench-support.js';

const RENDERS = Number(process.env.BENCH_RENDERS ?? 20_000);
const ROWS = Number(process.env.BENCH_ROWS ?? 2_000);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 2);
// Emails each worker sends at once (the worker's default) and SMTP connections in its pool.
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
// Untimed rows through each path first (JIT, pools, the SMTP server's parser).
const WARMUP = Number(process.env.BENCH_WARMUP ?? 300);

function rate(n: number, ms: number): string {
  return Math.round((n / ms) * 1000).toLocaleString('en-US');
}

async function benchRenders(): Promise<void> {
  let t = performance.now();
  const renderer = await compileEmailTemplates();
  const compileMs = performance.now() - t;
  const ctx = { portalName: 'Admit Developer Portal', publicUrl: 'https://portal.example.com' };
  const inputs = EMAIL_TEMPLATE_NAMES.map((n) => [n, sampleVariables(n, ctx.publicUrl)] as const);
  for (let i = 0; i < 2000; i++) renderer.renderUntyped(inputs[i % inputs.length]![0], inputs[i % inputs.length]![1], ctx);
  t = performance.now();
  let bytes = 0;
  for (let i = 0; i < RENDERS; i++) {
    const [name, vars] = inputs[i % inputs.length]!;
    bytes += renderer.renderUntyped(name, vars, ctx).html.length;
  }
  const ms = performance.now() - t;
  console.log(`compile: ${EMAIL_TEMPLATE_NAMES.length} MJML templates in ${compileMs.toFixed(0)} ms (once per process)`);
  console.log(
    `render:  ${RENDERS.toLocaleString('en-US')} emails (HTML + text, all templates) in ${ms.toFixed(0)} ms → ${rate(RENDERS, ms)} renders/second (avg HTML ${Math.round(bytes / RENDERS / 1024)} KB)`,
  );
}

async function benchDelivery(adminUrl: string): Promise<void> {
  const name = `admit_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const u = new URL(adminUrl);
  u.pathname = '/' + name;
  const dbUrl = u.toString();
  const smtp = await startSmtpPeer();
  let app: RunningApp | null = null;
  try {
    const config = parseConfig({ PORT: '0', LOG_LEVEL: 'error', MAIL_WORKER: 'false', SMTP_URL: smtp.url, MAIL_FROM: 'Bench <no-reply@bench.test>' });
    app = await startApp({ config, databaseUrl: dbUrl, log: createLogger('error') });
    const services = app.services;
    const publicUrl = services.publicUrl();
    const renderer = await compileEmailTemplates();
    const ctx = { portalName: 'Admit Developer Portal', publicUrl };
    const connections = WORKERS * CONCURRENCY;

    /** The outbox: n rows queued beforehand, delivered by WORKERS workers; ms from start until every row is sent and received. */
    type Run = { ms: number; nodeCpuMs: number; pgCpuMs: number | null };
    async function outbox(n: number, prefix: string): Promise<Run> {
      smtp.clear();
      for (let done = 0; done < n; done += 500) {
        await services.em().transactional(async (tx) => {
          for (let i = done; i < Math.min(n, done + 500); i++) {
            await queueEmail(tx, 'password-reset', `${prefix}.${i}@example.test`, {
              firstName: `User ${i}`,
              resetUrl: `${publicUrl}/reset-password?token=t${i}`,
              expiresInMinutes: 60,
            });
          }
        });
      }
      const workers = Array.from({ length: WORKERS }, (_, i) =>
        createMailWorker(services, {
          databaseUrl: dbUrl,
          transport: createSmtpTransport(smtp.url, { maxConnections: CONCURRENCY }),
          concurrency: CONCURRENCY,
          name: `w${i + 1}`,
        }),
      );
      const pgCpu = await postgresCpu(admin, name);
      const cpu = process.cpuUsage();
      const t = performance.now();
      await Promise.all(workers.map((w) => w.start()));
      await smtp.waitForMessages(n, { timeoutMs: 600_000 });
      await Promise.all(workers.map((w) => w.drain()));
      const ms = performance.now() - t;
      const used = process.cpuUsage(cpu);
      const pgCpuMs = await pgCpu();
      await Promise.all(workers.map((w) => w.stop()));
      const sent = await services
        .em()
        .execute<{ n: string }[]>(`select count(*) as n from email_outbox where status = 'sent' and to_address like ?`, [`${prefix}.%`]);
      const unique = new Set(smtp.messages.map((m) => m.parsed.headers.get('x-admit-outbox-id'))).size;
      if (Number(sent[0]!.n) !== n || unique !== n || smtp.messages.length !== n) {
        throw new Error(
          `delivery mismatch: some row was lost or sent twice (rows sent: ${sent[0]!.n}, received: ${smtp.messages.length}, distinct: ${unique})`,
        );
      }
      return { ms, nodeCpuMs: (used.user + used.system) / 1000, pgCpuMs };
    }

    // The floor: the same messages (each row's password-reset email, rendered beforehand) handed
    // straight to nodemailer with a pooled SMTP transport, to the same SMTP server, at the outbox's
    // concurrency: WORKERS workers × CONCURRENCY lanes, each worker with a pool of CONCURRENCY
    // connections (server/mail/transports.ts), so WORKERS × CONCURRENCY connections here.
    async function floor(n: number, prefix: string): Promise<Run> {
      smtp.clear();
      const messages = Array.from({ length: n }, (_, i) =>
        renderer.render('password-reset', { firstName: `User ${i}`, resetUrl: `${publicUrl}/reset-password?token=t${i}`, expiresInMinutes: 60 }, ctx),
      );
      const pool = nodemailer.createTransport({ pool: true, maxConnections: connections, maxMessages: 500, url: smtp.url });
      const pgCpu = await postgresCpu(admin, name);
      const cpu = process.cpuUsage();
      const f = performance.now();
      await Promise.all(
        messages.map((m, i) =>
          pool.sendMail({
            from: { name: 'Bench', address: 'no-reply@bench.test' },
            to: `${prefix}.${i}@example.test`,
            subject: m.subject,
            html: m.html,
            text: m.text,
            messageId: `<${prefix}-${i}@bench.test>`,
          }),
        ),
      );
      await smtp.waitForMessages(n, { timeoutMs: 600_000 });
      const ms = performance.now() - f;
      const used = process.cpuUsage(cpu);
      pool.close();
      return { ms, nodeCpuMs: (used.user + used.system) / 1000, pgCpuMs: await pgCpu() };
    }

    // Warm-up, untimed: both paths once (JIT, connection pools, the SMTP server's parser), so that
    // neither side of the ratio pays for a cold start the other does not.
    await outbox(WARMUP, 'warm');
    await floor(WARMUP, 'warmfloor');

    // CPU per email: this process (workers, app, SMTP client and server alike) and PostgreSQL's backends.
    const perEmail = (r: Run) =>
      `CPU per email: this process ${(r.nodeCpuMs / ROWS).toFixed(2)} ms, PostgreSQL ${r.pgCpuMs === null ? 'n/a' : (r.pgCpuMs / ROWS).toFixed(2) + ' ms'}`;
    const out = await outbox(ROWS, 'bench');
    console.log(
      `deliver: ${ROWS.toLocaleString('en-US')} outbox rows → in-process SMTP server with ${WORKERS} worker(s) × ${CONCURRENCY} lanes in ${out.ms.toFixed(0)} ms → ${rate(ROWS, out.ms)} rows delivered/second` +
        ` (each row sent and received exactly once); ${perEmail(out)}`,
    );
    const fl = await floor(ROWS, 'floor');
    const ratio = fl.ms / out.ms;
    console.log(
      `floor:   raw nodemailer, pooled (${connections} connections), same server, same messages: ${rate(ROWS, fl.ms)} emails/second (${fl.ms.toFixed(0)} ms); ${perEmail(fl)}`,
    );
    console.log(
      `ratio:   outbox ${rate(ROWS, out.ms)} / floor ${rate(ROWS, fl.ms)} emails/s = ${ratio.toFixed(3)} (target ≥ 0.8) — ${ratio >= 0.8 ? 'MET' : 'MISSED'}`,
    );
  } finally {
    await app?.close();
    await smtp.close();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

const db = await choosePostgres();
console.log(machineLine('at start'));
try {
  await benchRenders();
  await benchDelivery(db.url);
  console.log(machineLine('at end'));
} finally {
  await db.stop();
}
