import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { pino, type DestinationStream } from 'pino';
import pinoPretty from 'pino-pretty';

type Level = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** The one logging interface of the server: a message and optional fields (30-odd call sites). */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger that adds these fields to every line (the pino-backed logger has it; test doubles may not). */
  child?(bindings: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  /** json (default when stdout is not a TTY) or pretty (pino-pretty). */
  format?: 'json' | 'pretty';
  /** Where lines go (default stdout); tests pass a stream to read them. */
  destination?: DestinationStream;
}

// ---- request context: every line logged while serving one HTTP request or WebSocket connection carries its id

interface RequestContext {
  reqId: string;
}
const requestContext = new AsyncLocalStorage<RequestContext>();

export function newRequestId(): string {
  return randomBytes(8).toString('hex');
}

/** Runs fn (and everything it causes asynchronously) with this request id in every log line. */
export function runWithRequestId<T>(reqId: string, fn: () => T): T {
  return requestContext.run({ reqId }, fn);
}

/** The request id of the code running now, if any. */
export function currentRequestId(): string | undefined {
  return requestContext.getStore()?.reqId;
}

/**
 * Events of a long-lived emitter (a WebSocket) run in the async context of whoever emits them (the
 * socket's reader), not of the connection's handler: bind its emit to the current request context so
 * every message handler, and all it causes, logs with the connection's id.
 */
export function bindEmitterToRequest(emitter: EventEmitter): void {
  emitter.emit = AsyncResource.bind<typeof emitter.emit, undefined>(emitter.emit.bind(emitter));
}

// ---- redaction

const SECRET_KEY = /pass(word)?|secret|token|cookie|authorization|session|api[-_]?key|credential/i;
// Query parameters and path segments that carry a live token in this app's links and elsewhere.
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi;
const TOKEN_PARAM = /([?&#](?:token|invite|verify|verification|code|key|secret|password|sig|signature|session)[^=&#]*=)[^&#\s"']+/gi;
const TOKEN_PATH = /(\/(?:reset|reset-password|invite|invites|verify|verify-email|accept|accept-invite|confirm)\/)[^/?#\s"']+/gi;
const REDACTED = '[redacted]';

const liveLinksBrand = Symbol('admit.liveLinks');
/** Links with live tokens that the caller has decided may be logged (see mailLinksInLog in config.ts). */
export interface LiveLinks {
  readonly [liveLinksBrand]: true;
  readonly links: readonly string[];
  toJSON(): readonly string[];
}
export function liveLinks(links: readonly string[]): LiveLinks {
  return { [liveLinksBrand]: true, links, toJSON: () => links };
}
function isLiveLinks(v: unknown): v is LiveLinks {
  return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[liveLinksBrand] === true;
}

// A bearer credential quoted in free text ("Authorization: Bearer …"), and an API token wherever it appears.
const BEARER_IN_TEXT = /\b(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi;
const API_TOKEN_IN_TEXT = /\badmit_pat_[A-Za-z0-9_-]+/g;

/** Removes credentials and tokens from text: URL userinfo, token-like query parameters, token path segments, bearer and API tokens. */
export function redactText(text: string): string {
  return text
    .replace(URL_IN_TEXT, (url) =>
      url
        .replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, `$1${REDACTED}@`)
        .replace(TOKEN_PARAM, `$1${REDACTED}`)
        .replace(TOKEN_PATH, `$1${REDACTED}`),
    )
    .replace(BEARER_IN_TEXT, `$1${REDACTED}`)
    .replace(API_TOKEN_IN_TEXT, `admit_pat_${REDACTED}`);
}

function redactValue(key: string, v: unknown, depth: number): unknown {
  if (isLiveLinks(v)) return [...v.links];
  if (key && SECRET_KEY.test(key) && v !== undefined && v !== null && v !== false) return REDACTED;
  if (typeof v === 'string') return redactText(v);
  if (v instanceof Error) {
    const out: Record<string, unknown> = { type: v.name, message: redactText(v.message) };
    if (v.stack) out.stack = redactText(v.stack);
    const code = (v as { code?: unknown }).code;
    if (code !== undefined) out.code = code;
    return out;
  }
  if (typeof v !== 'object' || v === null) return v;
  if (depth > 5) return '[deep]';
  if (Array.isArray(v)) return v.map((x) => redactValue('', x, depth + 1));
  if (v instanceof Date) return v.toISOString();
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = redactValue(k, x, depth + 1);
  return out;
}

/** The fields of one log line, with secrets replaced by "[redacted]". */
export function redactFields(fields: Record<string, unknown>): Record<string, unknown> {
  return redactValue('', fields, 0) as Record<string, unknown>;
}

// ---- the logger

function wrap(p: pino.Logger): Logger {
  const write = (l: 'debug' | 'info' | 'warn' | 'error') => (msg: string, fields?: Record<string, unknown>) => {
    if (!p.isLevelEnabled(l)) return;
    // The error itself under `err` so pino's and log tools' conventions apply; already redacted.
    if (fields) p[l](redactFields(fields), redactText(msg));
    else p[l](redactText(msg));
  };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (bindings) => wrap(p.child(redactFields(bindings))),
  };
}

/** JSON lines to stdout (pretty when stdout is a TTY or LOG_FORMAT=pretty); each line carries the request id of the code that wrote it. */
export function createLogger(level: Level, opts: LoggerOptions = {}): Logger {
  const format = opts.format ?? (process.stdout.isTTY ? 'pretty' : 'json');
  const destination =
    opts.destination ??
    (format === 'pretty' ? pinoPretty({ sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }) : pino.destination({ fd: 1, sync: true }));
  const p = pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: () => {
        const ctx = requestContext.getStore();
        return ctx ? { reqId: ctx.reqId } : {};
      },
    },
    destination,
  );
  return wrap(p);
}
