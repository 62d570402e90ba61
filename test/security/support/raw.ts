import net from 'node:net';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { SESSION_COOKIE } from '../../../shared/constants.js';

export interface RawResponse {
  /** The status code of the first response, or null when the server closed without answering. */
  status: number | null;
  raw: string;
  /** True when no answer came and the connection stayed open until the timeout. */
  timedOut: boolean;
}

/** Writes bytes on a fresh TCP connection, half-closes it, and reads until the server closes it. */
export function rawHttp(port: number, data: string | Buffer, opts: { timeoutMs?: number; localAddress?: string } = {}): Promise<RawResponse> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const s = net.connect({ port, host: '127.0.0.1', localAddress: opts.localAddress, allowHalfOpen: true });
    let done = false;
    const finish = (timedOut: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      const raw = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(raw);
      resolve({ status: m ? Number(m[1]) : null, raw, timedOut: timedOut && chunks.length === 0 });
    };
    const timer = setTimeout(() => finish(true), opts.timeoutMs ?? 5_000);
    s.on('data', (c) => chunks.push(c));
    s.on('end', () => finish(false));
    s.on('close', () => finish(false));
    s.on('error', () => finish(false));
    s.on('connect', () => {
      s.write(data);
      s.end();
    });
  });
}

/** A plain HTTP GET (keep-alive off) for liveness checks. */
export async function healthz(port: number): Promise<boolean> {
  const r = await rawHttp(port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', { timeoutMs: 3_000 });
  return r.status === 200;
}

// ---------------------------------------------------------------------------------------------
// WebSocket by hand: the handshake and frames over a raw socket, so malformed ones can be sent.

export interface ServerFrame {
  opcode: number;
  payload: Buffer;
}

export interface RawWs {
  socket: net.Socket;
  status: number | null;
  /** The handshake response head. */
  head: string;
  frames: ServerFrame[];
  /** Text frames from the server, parsed as JSON when they are. */
  messages(): unknown[];
  /** The close code the server sent, once it sent one. */
  closeCode: number | null;
  closed: boolean;
  onFrame: ((f: ServerFrame) => void) | null;
  send(opcode: number, payload: Buffer | string, opts?: { mask?: boolean; fin?: boolean; rsv?: number }): void;
  text(data: unknown): void;
  close(): void;
}

export function encodeFrame(opcode: number, payload: Buffer | string, opts: { mask?: boolean; fin?: boolean; rsv?: number } = {}): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const mask = opts.mask ?? true;
  const len = body.length;
  const head: number[] = [((opts.fin ?? true) ? 0x80 : 0) | ((opts.rsv ?? 0) << 4) | (opcode & 0x0f)];
  if (len < 126) head.push((mask ? 0x80 : 0) | len);
  else if (len < 65536) head.push((mask ? 0x80 : 0) | 126, len >> 8, len & 0xff);
  else {
    head.push((mask ? 0x80 : 0) | 127, 0, 0, 0, 0);
    head.push((len >>> 24) & 0xff, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff);
  }
  if (!mask) return Buffer.concat([Buffer.from(head), body]);
  const key = randomBytes(4);
  const masked = Buffer.alloc(len);
  for (let i = 0; i < len; i++) masked[i] = body[i]! ^ key[i & 3]!;
  return Buffer.concat([Buffer.from(head), key, masked]);
}

/**
 * Sends an upgrade request with the given target and headers over a raw socket. Resolves once the
 * server answered (101 or anything else) or closed; on 101 the socket stays open for frames.
 */
export function rawWs(
  port: number,
  opts: {
    target?: string;
    origin?: string | null;
    headers?: Record<string, string>;
    localAddress?: string;
    cookie?: string;
    rawHead?: string;
    timeoutMs?: number;
  } = {},
): Promise<RawWs> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress: opts.localAddress });
    let buf = Buffer.alloc(0);
    let headDone = false;
    const ws: RawWs = {
      socket: s,
      status: null,
      head: '',
      frames: [],
      closeCode: null,
      closed: false,
      onFrame: null,
      messages() {
        return this.frames
          .filter((f) => f.opcode === 1)
          .map((f) => {
            try {
              return JSON.parse(f.payload.toString('utf8'));
            } catch {
              return f.payload.toString('utf8');
            }
          });
      },
      send(opcode, payload, o) {
        if (!s.destroyed && s.writable) s.write(encodeFrame(opcode, payload, o));
      },
      text(data) {
        this.send(1, typeof data === 'string' ? data : JSON.stringify(data));
      },
      close() {
        s.destroy();
      },
    };
    let resolved = false;
    const settle = () => {
      if (resolved) return;
      resolved = true;
      clearTimeout(timer);
      resolve(ws);
    };
    const timer = setTimeout(settle, opts.timeoutMs ?? 5_000);
    const parseFrames = () => {
      for (;;) {
        if (buf.length < 2) return;
        const opcode = buf[0]! & 0x0f;
        let len = buf[1]! & 0x7f;
        let off = 2;
        if (len === 126) {
          if (buf.length < 4) return;
          len = buf.readUInt16BE(2);
          off = 4;
        } else if (len === 127) {
          if (buf.length < 10) return;
          len = Number(buf.readBigUInt64BE(2));
          off = 10;
        }
        if (buf.length < off + len) return;
        const f = { opcode, payload: buf.subarray(off, off + len) };
        buf = buf.subarray(off + len);
        if (opcode === 8 && f.payload.length >= 2) ws.closeCode = f.payload.readUInt16BE(0);
        ws.frames.push(f);
        ws.onFrame?.(f);
      }
    };
    s.on('data', (c) => {
      buf = Buffer.concat([buf, c]);
      if (!headDone) {
        const i = buf.indexOf('\r\n\r\n');
        if (i < 0) return;
        ws.head = buf.subarray(0, i).toString('latin1');
        const m = /^HTTP\/1\.[01] (\d{3})/.exec(ws.head);
        ws.status = m ? Number(m[1]) : null;
        buf = buf.subarray(i + 4);
        headDone = true;
        settle();
      }
      if (ws.status === 101) parseFrames();
    });
    s.on('close', () => {
      ws.closed = true;
      settle();
    });
    s.on('error', () => undefined);
    s.on('connect', () => {
      if (opts.rawHead !== undefined) {
        s.write(opts.rawHead);
        return;
      }
      const h: Record<string, string> = {
        Host: `127.0.0.1:${port}`,
        Upgrade: 'websocket',
        Connection: 'Upgrade',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        'Sec-WebSocket-Version': '13',
        ...(opts.origin === null ? {} : { Origin: opts.origin ?? `http://localhost:${port}` }),
        ...(opts.cookie ? { Cookie: `${SESSION_COOKIE}=${opts.cookie}` } : {}),
        ...opts.headers,
      };
      s.write(
        `GET ${opts.target ?? '/trpc'} HTTP/1.1\r\n${Object.entries(h)
          .map(([k, v]) => `${k}: ${v}`)
          .join('\r\n')}\r\n\r\n`,
      );
    });
  });
}

/** Resolves when the socket closes (or after the timeout, with false). */
export function waitClosed(ws: RawWs, timeoutMs: number): Promise<boolean> {
  if (ws.closed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), timeoutMs);
    ws.socket.once('close', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// The rows that no malformed request may change.

export const GUARDED_TABLES = ['app_user', 'domain_event', 'email_outbox', 'auth_token', 'user_session'] as const;

/** A fingerprint of every row of the guarded tables (count and hash per table). */
export async function snapshotRows(databaseUrl: string): Promise<Record<string, string>> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const out: Record<string, string> = {};
    for (const t of GUARDED_TABLES) {
      const r = await c.query(`select count(*)::text || ':' || coalesce(md5(string_agg(x::text, ',' order by x::text)), '') as f from ${t} x`);
      out[t] = r.rows[0].f;
    }
    return out;
  } finally {
    await c.end();
  }
}

/** Logs in over HTTP and returns the session id. */
export async function login(url: string, origin: string, email: string, password: string): Promise<string> {
  const r = await fetch(`${url}/trpc/auth.login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin },
    body: JSON.stringify({ email, password }),
  });
  const set = r.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  const id = set ? /=([^;]*)/.exec(set)![1]! : '';
  if (!r.ok || !id) throw new Error(`login failed: ${r.status} ${await r.text()}`);
  return id;
}
