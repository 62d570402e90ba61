/**
 * `npm run bench:mail`: how fast emails render, and how fast the outbox worker delivers rows to a
 * real SMTP server running in this process. Uses TEST_DATABASE_URL, else PostgreSQL on
 * 127.0.0.1:5432 when it answers, else an embedded PostgreSQL in a temporary folder.
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
import { machineLine } from './bench-support.js';

const RENDERS = Number(process.env.BENCH_RENDERS ?? 20_000);
const ROWS = Number(process.env.BENCH_ROWS ?? 2_000);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 2);
// Emails each worker sends at once (the worker's default) and SMTP connections in its pool.
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);

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
    for (let done = 0; done < ROWS; done += 500) {
      await services.em().transactional(async (tx) => {
        for (let i = done; i < Math.min(ROWS, done + 500); i++) {
          await queueEmail(tx, 'password-reset', `bench.${i}@example.test`, {
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
    const t = performance.now();
    await Promise.all(workers.map((w) => w.start()));
    await smtp.waitForMessages(ROWS, { timeoutMs: 600_000 });
    await Promise.all(workers.map((w) => w.drain()));
    const ms = performance.now() - t;
    await Promise.all(workers.map((w) => w.stop()));
    const sent = await services.em().execute<{ n: string }[]>(`select count(*) as n from email_outbox where status = 'sent'`);
    const unique = new Set(smtp.messages.map((m) => m.parsed.headers.get('x-admit-outbox-id'))).size;
    console.log(
      `deliver: ${ROWS.toLocaleString('en-US')} outbox rows → in-process SMTP server with ${WORKERS} worker(s) in ${ms.toFixed(0)} ms → ${rate(ROWS, ms)} rows delivered/second` +
        ` (rows sent: ${sent[0]!.n}, messages received: ${smtp.messages.length}, distinct: ${unique})`,
    );
    if (Number(sent[0]!.n) !== ROWS || unique !== ROWS || smtp.messages.length !== ROWS) throw new Error('delivery mismatch: some row was lost or sent twice');

    // The floor, same run: the same messages (each row's password-reset email, rendered beforehand)
    // handed straight to nodemailer with a pooled SMTP transport, to the same SMTP server, at the
    // outbox's concurrency: WORKERS workers × CONCURRENCY lanes, each worker with a pool of
    // CONCURRENCY connections (server/mail/transports.ts), so WORKERS × CONCURRENCY connections here.
    const renderer = await compileEmailTemplates();
    const ctx = { portalName: 'Admit Developer Portal', publicUrl };
    const floorMessages = Array.from({ length: ROWS }, (_, i) =>
      renderer.render('password-reset', { firstName: `User ${i}`, resetUrl: `${publicUrl}/reset-password?token=t${i}`, expiresInMinutes: 60 }, ctx),
    );
    const connections = WORKERS * CONCURRENCY;
    const pool = nodemailer.createTransport({ pool: true, maxConnections: connections, maxMessages: 500, url: smtp.url });
    const f = performance.now();
    await Promise.all(
      floorMessages.map((m, i) =>
        pool.sendMail({
          from: { name: 'Bench', address: 'no-reply@bench.test' },
          to: `floor.${i}@example.test`,
          subject: m.subject,
          html: m.html,
          text: m.text,
          messageId: `<floor-${i}@bench.test>`,
        }),
      ),
    );
    await smtp.waitForMessages(2 * ROWS, { timeoutMs: 600_000 });
    const floorMs = performance.now() - f;
    pool.close();
    const ratio = floorMs / ms;
    console.log(
      `floor:   raw nodemailer, pooled (${connections} connections), same server, same messages: ${rate(ROWS, floorMs)} emails/second (${floorMs.toFixed(0)} ms)`,
    );
    console.log(
      `ratio:   outbox ${rate(ROWS, ms)} / floor ${rate(ROWS, floorMs)} emails/s = ${ratio.toFixed(2)} (target ≥ 0.8) — ${ratio >= 0.8 ? 'MET' : 'MISSED'}`,
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
