import { isIP } from 'node:net';
import { z } from 'zod';

const boolish = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const urlWithProtocol = (protocols: string[]) =>
  z
    .string()
    .trim()
    .refine(
      (v) => {
        try {
          return protocols.includes(new URL(v).protocol);
        } catch {
          return false;
        }
      },
      { message: `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
    );

const origin = z
  .string()
  .trim()
  .refine(
    (v) => {
      try {
        const u = new URL(v);
        return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === v.replace(/\/$/, '');
      } catch {
        return false;
      }
    },
    { message: 'must be a comma-separated list of origins like https://portal.example.com (scheme, host, optional port; no path)' },
  );

const emailAddress = z
  .string()
  .trim()
  .pipe(z.email({ message: 'must be an email address' }));

/** Splits `Name <address>` or a bare address; null when it is neither (or holds line breaks). */
export function parseMailFrom(v: string): { name: string; address: string } | null {
  if (/[\r\n]/.test(v)) return null;
  const m = /^\s*(?:"?([^"<>]*?)"?\s*)?<([^<>\s]+)>\s*$/.exec(v);
  const name = m ? (m[1] ?? '').trim() : '';
  const address = m ? m[2]! : v.trim();
  return z.email().safeParse(address).success ? { name, address } : null;
}

// Request budgets (security)
// Limits that keep one client from crashing, flooding or stalling the server (issue 10, items 1-2).
const wholeNumber = (min: number, max: number, dflt: number) =>
  z.coerce
    .number({ message: 'must be a number' })
    .int({ message: 'must be a whole number' })
    .min(min, { message: `must be at least ${min}` })
    .max(max, { message: `must be at most ${max}` })
    .default(dflt);

const requestBudgetShape = {
  /** Open WebSocket connections one client IP may hold (authenticated or not). */
  WS_MAX_CONNECTIONS_PER_IP: wholeNumber(1, 100_000, 20),
  /** Open WebSocket connections without a valid session, across all IPs. */
  WS_MAX_UNAUTHENTICATED: wholeNumber(0, 1_000_000, 200),
  /** An unauthenticated socket that sends no request for this long is closed (1008). */
  WS_UNAUTHENTICATED_IDLE_MS: wholeNumber(100, 3_600_000, 30_000),
  /** Sustained messages per second per socket (token bucket)… */
  WS_MESSAGES_PER_SECOND: wholeNumber(1, 100_000, 20),
  /** …and the burst it allows. */
  WS_MESSAGE_BURST: wholeNumber(1, 100_000, 40),
  /** Queries and mutations awaiting their answer on one socket. */
  WS_MAX_IN_FLIGHT: wholeNumber(1, 10_000, 8),
  /** Refused messages within 10 s after which the socket is closed with 1008. */
  WS_FLOOD_CLOSE_AFTER: wholeNumber(1, 1_000_000, 100),
  /** Calls in one tRPC batch (HTTP `?batch=1` and a WebSocket array frame). */
  TRPC_MAX_BATCH: wholeNumber(1, 10_000, 50),
  /** A live stream (WebSocket or SSE) whose client has not read for this long is cut off. */
  STREAM_STALL_MS: wholeNumber(100, 600_000, 3_000),
  /** Bytes waiting for a stream's client above which it counts as not reading. */
  STREAM_MAX_BUFFERED_BYTES: wholeNumber(16 * 1024, 1024 * 1024 * 1024, 512 * 1024),
  /** Time a client has to send the request headers (slow-header attacks). */
  HTTP_HEADERS_TIMEOUT_MS: wholeNumber(1_000, 600_000, 10_000),
  /** Time a client has to send a whole request, body included. */
  HTTP_REQUEST_TIMEOUT_MS: wholeNumber(1_000, 3_600_000, 30_000),
};

export interface RequestBudgets {
  wsMaxConnectionsPerIp: number;
  wsMaxUnauthenticated: number;
  wsUnauthenticatedIdleMs: number;
  wsMessagesPerSecond: number;
  wsMessageBurst: number;
  wsMaxInFlight: number;
  wsFloodCloseAfter: number;
  trpcMaxBatch: number;
  streamStallMs: number;
  streamMaxBufferedBytes: number;
  httpHeadersTimeoutMs: number;
  httpRequestTimeoutMs: number;
}

function requestBudgetsFrom(c: { [K in keyof typeof requestBudgetShape]: number }): RequestBudgets {
  return Object.freeze({
    wsMaxConnectionsPerIp: c.WS_MAX_CONNECTIONS_PER_IP,
    wsMaxUnauthenticated: c.WS_MAX_UNAUTHENTICATED,
    wsUnauthenticatedIdleMs: c.WS_UNAUTHENTICATED_IDLE_MS,
    wsMessagesPerSecond: c.WS_MESSAGES_PER_SECOND,
    wsMessageBurst: c.WS_MESSAGE_BURST,
    wsMaxInFlight: c.WS_MAX_IN_FLIGHT,
    wsFloodCloseAfter: c.WS_FLOOD_CLOSE_AFTER,
    trpcMaxBatch: c.TRPC_MAX_BATCH,
    streamStallMs: c.STREAM_STALL_MS,
    streamMaxBufferedBytes: c.STREAM_MAX_BUFFERED_BYTES,
    httpHeadersTimeoutMs: c.HTTP_HEADERS_TIMEOUT_MS,
    httpRequestTimeoutMs: c.HTTP_REQUEST_TIMEOUT_MS,
  });
}
// End of request budgets

export const configSchema = z
  .object({
    PORT: z.coerce
      .number({ message: 'must be a number' })
      .int({ message: 'must be a whole number' })
      .min(0, { message: 'must be between 0 and 65535' })
      .max(65535, { message: 'must be between 0 and 65535' })
      .default(3000),
    HOST: z.string().trim().min(1, { message: 'must not be empty' }).default('127.0.0.1'),
    DATABASE_URL: urlWithProtocol(['postgres:', 'postgresql:']).optional(),
    DATA_DIR: z.string().trim().min(1, { message: 'must not be empty' }).default('.data'),
    PUBLIC_URL: urlWithProtocol(['http:', 'https:']).optional(),
    ALLOWED_ORIGINS: z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined || v.trim() === '') return undefined;
        const list = v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        for (const item of list) {
          const r = origin.safeParse(item);
          if (!r.success) {
            ctx.addIssue({ code: 'custom', message: `"${item}" ${r.error.issues[0]?.message ?? 'is not an origin'}` });
            return z.NEVER;
          }
        }
        return list.map((o) => new URL(o).origin);
      }),
    LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent'], { message: 'must be one of debug, info, warn, error, silent' }).default('info'),
    ADMIN_EMAIL: emailAddress.optional(),
    ADMIN_PASSWORD: z.string().min(8, { message: 'must be at least 8 characters' }).max(256, { message: 'must be at most 256 characters' }).optional(),
    SMTP_URL: urlWithProtocol(['smtp:', 'smtps:']).optional(),
    MAIL_FROM: z
      .string()
      .trim()
      .refine((v) => parseMailFrom(v) !== null, { message: 'must be an address like "Admit <no-reply@example.com>" or no-reply@example.com' })
      .optional(),
    MAIL_WORKER: boolish.default(true),
    MAIL_POLL_MS: z.coerce.number({ message: 'must be a number' }).int().min(50, { message: 'must be at least 50' }).default(1000),
    MAIL_RETRY_BASE_MS: z.coerce
      .number({ message: 'must be a number' })
      .int({ message: 'must be a whole number' })
      .min(10, { message: 'must be at least 10' })
      .max(3_600_000, { message: 'must be at most 3600000 (one hour)' })
      .default(30_000),
    // Operations
    NODE_ENV: z.string().trim().optional(),
    DIRECT_DATABASE_URL: urlWithProtocol(['postgres:', 'postgresql:']).optional(),
    MIGRATE_ON_START: boolish.default(true),
    SHUTDOWN_TIMEOUT_MS: z.coerce
      .number({ message: 'must be a number' })
      .int({ message: 'must be a whole number' })
      .min(0, { message: 'must be at least 0' })
      .max(600_000, { message: 'must be at most 600000 (ten minutes)' })
      .default(10_000),
    LOG_FORMAT: z.enum(['json', 'pretty'], { message: 'must be json or pretty' }).optional(),
    MAIL_LOG_LINKS: boolish.default(true),
    TRUST_PROXY: z
      .string()
      .trim()
      .transform((v, ctx): TrustProxy => {
        // A number of hops, or a comma-separated list of proxy addresses/CIDRs (proxy-addr's rules).
        if (/^(false|no|0)$/i.test(v)) return false;
        // "true" used to mean "one proxy in front"; it never means "trust every hop" (that would make the leftmost, client-written entry the address).
        if (/^(true|yes)$/i.test(v)) return 1;
        if (/^\d+$/.test(v)) return Math.min(Number(v), 32);
        const list = v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        const bad = list.find((a) => !isProxyAddress(a));
        if (bad !== undefined || list.length === 0) {
          ctx.addIssue({
            code: 'custom',
            message: `must be a number of proxy hops or a comma-separated list of IP addresses/CIDRs or loopback, linklocal, uniquelocal (not "${bad ?? v}")`,
          });
          return z.NEVER;
        }
        return list;
      })
      .default(false),
    // Metrics (server/metrics.ts): /metrics only with METRICS=true; METRICS_TOKEN: required bearer token.
    METRICS: boolish.default(false),
    METRICS_TOKEN: z.string().trim().min(16, { message: 'must be at least 16 characters' }).optional(),
    // Faults (db/faults.ts): how long a request waits for a pooled connection, and for one statement.
    DB_ACQUIRE_TIMEOUT_MS: z.coerce
      .number({ message: 'must be a number' })
      .int({ message: 'must be a whole number' })
      .min(100, { message: 'must be at least 100' })
      .max(600_000, { message: 'must be at most 600000' })
      .default(5_000),
    DB_STATEMENT_TIMEOUT_MS: z.coerce
      .number({ message: 'must be a number' })
      .int({ message: 'must be a whole number' })
      .min(100, { message: 'must be at least 100' })
      .max(3_600_000, { message: 'must be at most 3600000' })
      .default(15_000),
    ...requestBudgetShape,
    // Webhooks (server/webhooks/): APP_SECRET_KEY encrypts their signing secrets (AES-256-GCM).
    APP_SECRET_KEY: z
      .string()
      .trim()
      .refine((v) => parseSecretKeys(v) !== null, {
        message: 'must be one or more comma-separated base64 keys of 32 bytes each (generate one with: openssl rand -base64 32)',
      })
      .optional(),
    WEBHOOK_WORKER: boolish.default(true),
    WEBHOOK_POLL_MS: z.coerce.number({ message: 'must be a number' }).int().min(50, { message: 'must be at least 50' }).default(1000),
    /** Hosts (names or IP addresses) webhooks may reach even though they are private or loopback. */
    WEBHOOK_ALLOWED_HOSTS: z
      .string()
      .optional()
      .transform((v) =>
        (v ?? '')
          .split(',')
          .map((s) =>
            s
              .trim()
              .toLowerCase()
              .replace(/^\[|\]$/g, ''),
          )
          .filter(Boolean),
      ),
    /** A DNS server (ip or ip:port) the webhook guard asks instead of the system resolver. */
    WEBHOOK_DNS_SERVER: z
      .string()
      .trim()
      .refine((v) => /^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-f:]+\])(:\d{1,5})?$/i.test(v), { message: 'must be an IP address with an optional :port' })
      .optional(),
  })
  .superRefine((c, ctx) => {
    // Operations: a production replica without DATABASE_URL would start its own empty database (split data).
    if (c.NODE_ENV === 'production' && c.DATABASE_URL === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['DATABASE_URL'],
        message:
          'must be set when NODE_ENV=production (the embedded PostgreSQL is for development and single-machine trials; unset NODE_ENV to use it on purpose)',
      });
    }
    if ((c.ADMIN_EMAIL === undefined) !== (c.ADMIN_PASSWORD === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [c.ADMIN_EMAIL === undefined ? 'ADMIN_EMAIL' : 'ADMIN_PASSWORD'],
        message: 'must be set together with ' + (c.ADMIN_EMAIL === undefined ? 'ADMIN_PASSWORD' : 'ADMIN_EMAIL'),
      });
    }
  });

export type ConfigInput = z.input<typeof configSchema>;

export interface Config {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  dataDir: string;
  publicUrl: string | undefined;
  allowedOrigins: string[] | undefined;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  admin: { email: string; password: string } | undefined;
  smtpUrl: string | undefined;
  mailFrom: string | undefined;
  mailWorker: boolean;
  mailPollMs: number;
  /** First retry delay of a failed email; doubles on each try (with jitter). */
  mailRetryBaseMs: number;
  secureCookies: boolean;
  // Operations
  production: boolean;
  /** A direct connection (not through PgBouncer) for LISTEN, the migration lock and session advisory locks. */
  directDatabaseUrl: string | undefined;
  migrateOnStart: boolean;
  /** How long a shutdown waits for in-flight requests (and the mail batch in hand). */
  shutdownTimeoutMs: number;
  logFormat: 'json' | 'pretty' | undefined;
  /** MAIL_LOG_LINKS; links are logged only when mailLinksInLog(config) says so. */
  mailLogLinks: boolean;
  /** false: no proxy; a number: that many trusted hops; a list: the trusted proxy addresses/CIDRs. */
  trustProxy: TrustProxy;
  /** Request budgets (security): see requestBudgetShape. */
  budgets: RequestBudgets;
  /** Prometheus text at /metrics (METRICS, METRICS_TOKEN). */
  metrics: { enabled: boolean; token: string | undefined };
  /** DB_ACQUIRE_TIMEOUT_MS, DB_STATEMENT_TIMEOUT_MS: a request that hits one answers 503 (migrations run without them). */
  db: { acquireTimeoutMs: number; statementTimeoutMs: number };
  /** Webhooks: APP_SECRET_KEY (first key encrypts, all decrypt), worker, SSRF allow-list, DNS server. */
  webhooks: { secretKeys: Buffer[] | null; worker: boolean; pollMs: number; allowedHosts: string[]; dnsServer: string | undefined };
}

/** APP_SECRET_KEY's keys (32 bytes each, base64 or base64url), or null when one is malformed. */
export function parseSecretKeys(v: string): Buffer[] | null {
  const list = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.length === 0) return null;
  const keys = list.map((k) => (/^[A-Za-z0-9+/_-]+={0,2}$/.test(k) ? Buffer.from(k, k.includes('-') || k.includes('_') ? 'base64url' : 'base64') : null));
  return keys.every((k) => k !== null && k.length === 32) ? (keys as Buffer[]) : null;
}

// Operations
export type TrustProxy = false | number | string[];

function isProxyAddress(v: string): boolean {
  if (v === 'loopback' || v === 'linklocal' || v === 'uniquelocal') return true;
  const [ip, bits, ...rest] = v.split('/');
  if (rest.length || !ip || isIP(ip) === 0) return false;
  if (bits === undefined) return true;
  if (!/^\d+$/.test(bits)) return false;
  return Number(bits) <= (isIP(ip) === 4 ? 32 : 128);
}

/**
 * Links carrying live tokens (reset, invite, verification) go to the log only in built-in mailbox
 * mode (no SMTP_URL), which is how a fresh install without a mail server works end to end; never in
 * production or with SMTP; MAIL_LOG_LINKS=false turns them off in mailbox mode too.
 */
export function mailLinksInLog(config: Pick<Config, 'smtpUrl' | 'production' | 'mailLogLinks'>): boolean {
  return !config.smtpUrl && !config.production && config.mailLogLinks;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Parses the environment once. Throws ConfigError with one line naming the variable and the problem. */
export function parseConfig(env: Record<string, string | undefined> = process.env): Readonly<Config> {
  // Empty strings mean "not set" (a common way to unset in .env files and CI).
  const cleaned: Record<string, string> = {};
  for (const key of Object.keys(configSchema.shape)) {
    const v = env[key];
    if (v !== undefined && v !== '') cleaned[key] = v;
  }
  const r = configSchema.safeParse(cleaned);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const name = String(issue.path[0] ?? 'configuration');
    const shown = name in cleaned && !/PASSWORD|TOKEN|SMTP_URL|DATABASE_URL|SECRET/.test(name) ? ` (got "${cleaned[name]}")` : '';
    throw new ConfigError(`Invalid configuration: ${name} ${issue.message}${shown}`);
  }
  const c = r.data;
  return Object.freeze({
    port: c.PORT,
    host: c.HOST,
    databaseUrl: c.DATABASE_URL,
    dataDir: c.DATA_DIR,
    publicUrl: c.PUBLIC_URL?.replace(/\/$/, ''),
    allowedOrigins: c.ALLOWED_ORIGINS,
    logLevel: c.LOG_LEVEL,
    admin: c.ADMIN_EMAIL && c.ADMIN_PASSWORD ? { email: c.ADMIN_EMAIL, password: c.ADMIN_PASSWORD } : undefined,
    smtpUrl: c.SMTP_URL,
    mailFrom: c.MAIL_FROM,
    mailWorker: c.MAIL_WORKER,
    mailPollMs: c.MAIL_POLL_MS,
    mailRetryBaseMs: c.MAIL_RETRY_BASE_MS,
    secureCookies: c.PUBLIC_URL?.startsWith('https:') ?? false,
    // Operations
    production: c.NODE_ENV === 'production',
    directDatabaseUrl: c.DIRECT_DATABASE_URL,
    migrateOnStart: c.MIGRATE_ON_START,
    shutdownTimeoutMs: c.SHUTDOWN_TIMEOUT_MS,
    logFormat: c.LOG_FORMAT,
    mailLogLinks: c.MAIL_LOG_LINKS,
    trustProxy: c.TRUST_PROXY,
    budgets: requestBudgetsFrom(c),
    metrics: Object.freeze({ enabled: c.METRICS, token: c.METRICS_TOKEN }),
    db: Object.freeze({ acquireTimeoutMs: c.DB_ACQUIRE_TIMEOUT_MS, statementTimeoutMs: c.DB_STATEMENT_TIMEOUT_MS }),
    webhooks: Object.freeze({
      secretKeys: c.APP_SECRET_KEY ? parseSecretKeys(c.APP_SECRET_KEY) : null,
      worker: c.WEBHOOK_WORKER,
      pollMs: c.WEBHOOK_POLL_MS,
      allowedHosts: c.WEBHOOK_ALLOWED_HOSTS,
      dnsServer: c.WEBHOOK_DNS_SERVER,
    }),
  });
}

/** The origins a browser may send requests from: ALLOWED_ORIGINS, else PUBLIC_URL's, else localhost on the actual port. */
export function allowedOriginsFor(config: Config, actualPort: number): string[] {
  if (config.allowedOrigins) return config.allowedOrigins;
  if (config.publicUrl) return [new URL(config.publicUrl).origin];
  return [`http://localhost:${actualPort}`, `http://127.0.0.1:${actualPort}`];
}

/** The base URL used in emailed links. */
export function publicUrlFor(config: Config, actualPort: number): string {
  return config.publicUrl ?? `http://localhost:${actualPort}`;
}
