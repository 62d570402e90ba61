import { SMTPServer, type SMTPServerAddress } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo } from 'node:net';
import type { RateLimits } from '../../server/security/rate-limit.js';
import { startTestApp, type TestApp } from './app.js';
import type { TestDatabase } from './db.js';
import type { SecuritySettings } from '../../shared/schemas/security.js';

/** One message as the SMTP peer received it: the SMTP envelope, the raw source and the parsed email. */
export interface ReceivedMail {
  /** MAIL FROM of the envelope. */
  envelopeFrom: string;
  /** RCPT TO of the envelope: who the message was actually delivered to (Bcc included). */
  envelopeTo: string[];
  raw: string;
  parsed: ParsedMail;
  subject: string;
  /** The To: header's addresses, lower-cased. */
  to: string[];
  text: string;
  html: string;
  /** Every http(s) link in the text part. */
  links: string[];
}

export interface SmtpPeer {
  readonly port: number;
  /** smtp://127.0.0.1:PORT, ready for SMTP_URL. */
  readonly url: string;
  /** Every message received so far, in arrival order. */
  readonly messages: ReceivedMail[];
  /** Messages whose envelope includes this address (case-insensitive). */
  messagesTo(address: string): ReceivedMail[];
  /** Resolves once at least n messages (optionally only those matching) have arrived. */
  waitForMessages(n: number, opts?: { timeoutMs?: number; match?: (m: ReceivedMail) => boolean }): Promise<ReceivedMail[]>;
  /** Resolves with the first message to this address (already received or arriving later). */
  waitForMessageTo(address: string, opts?: { timeoutMs?: number }): Promise<ReceivedMail>;
  /** Answers every MAIL FROM with this SMTP error (e.g. 451 for a temporary failure) until set back to null. */
  failWith(error: { code: number; message: string } | null): void;
  /** Answers RCPT TO for this address (case-insensitive) with this SMTP error (e.g. 550 for an unknown mailbox); null accepts it again. */
  rejectRecipient(address: string, error: { code: number; message: string } | null): void;
  /** Simulates "SMTP down": stops listening and drops open connections; the port stays reserved for start(). */
  stop(): Promise<void>;
  /** Listens again on the same port after stop(). */
  start(): Promise<void>;
  readonly running: boolean;
  /** Forgets received messages. */
  clear(): void;
  /** Stops for good. */
  close(): Promise<void>;
}

const LINK_RE = /https?:\/\/[^\s<>"')\]]+/g;

/**
 * A real SMTP server inside the test process (no TLS, no auth), parsing everything it receives
 * with mailparser. Starts on port 0 unless a port is given.
 */
export async function startSmtpPeer(opts: { port?: number } = {}): Promise<SmtpPeer> {
  const messages: ReceivedMail[] = [];
  const parseErrors: Error[] = [];
  const waiters = new Set<() => void>();
  let failure: { code: number; message: string } | null = null;
  const rejected = new Map<string, { code: number; message: string }>();
  let server: SMTPServer | null = null;
  let port = opts.port ?? 0;

  const notify = () => {
    for (const w of [...waiters]) w();
  };

  function create(): SMTPServer {
    return new SMTPServer({
      secure: false,
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      hideSTARTTLS: true,
      logger: false,
      size: 10 * 1024 * 1024,
      closeTimeout: 100,
      // No reverse DNS for 127.0.0.1 (it costs ~100 ms per connection).
      disableReverseLookup: true,
      onMailFrom(_address: SMTPServerAddress, _session, callback) {
        if (failure) {
          const err = new Error(failure.message) as Error & { responseCode: number };
          err.responseCode = failure.code;
          return callback(err);
        }
        callback();
      },
      onRcptTo(address: SMTPServerAddress, _session, callback) {
        const refusal = rejected.get(address.address.toLowerCase());
        if (refusal) {
          const err = new Error(refusal.message) as Error & { responseCode: number };
          err.responseCode = refusal.code;
          return callback(err);
        }
        callback();
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const envelope = {
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
          };
          // Accept at once, as a real server queues before processing; parsing happens after.
          callback();
          simpleParser(raw)
            .then((parsed) => {
              const toField = parsed.to ? (Array.isArray(parsed.to) ? parsed.to : [parsed.to]) : [];
              const text = parsed.text ?? '';
              messages.push({
                envelopeFrom: envelope.from,
                envelopeTo: envelope.to,
                raw,
                parsed,
                subject: parsed.subject ?? '',
                to: toField.flatMap((a) => a.value.map((v) => (v.address ?? '').toLowerCase())),
                text,
                html: typeof parsed.html === 'string' ? parsed.html : '',
                links: text.match(LINK_RE) ?? [],
              });
              notify();
            })
            .catch((e: Error) => {
              parseErrors.push(e);
              notify();
            });
        });
      },
    });
  }

  async function listen(): Promise<void> {
    const s = create();
    await new Promise<void>((resolve, reject) => {
      s.server.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        s.server.off('error', reject);
        resolve();
      });
    });
    // Errors after start (a client dropping mid-session) are normal in "SMTP down" tests.
    s.on('error', () => undefined);
    port = (s.server.address() as AddressInfo).port;
    server = s;
  }

  async function shutdown(): Promise<void> {
    const s = server;
    if (!s) return;
    server = null;
    const closed = new Promise<void>((resolve) => s.close(() => resolve()));
    // Drop pooled client connections at once, as a crashed mail server would.
    for (const c of s.connections) {
      try {
        c.send(421, 'Service not available');
        c.close();
      } catch {
        /* already gone */
      }
    }
    await closed;
  }

  await listen();

  const peer: SmtpPeer = {
    get port() {
      return port;
    },
    get url() {
      return `smtp://127.0.0.1:${port}`;
    },
    messages,
    get running() {
      return server !== null;
    },
    messagesTo(address) {
      const a = address.toLowerCase();
      return messages.filter((m) => m.envelopeTo.includes(a));
    },
    waitForMessages(n, o = {}) {
      const timeoutMs = o.timeoutMs ?? 10_000;
      const select = () => (o.match ? messages.filter(o.match) : messages);
      return new Promise((resolve, reject) => {
        const check = () => {
          if (parseErrors.length) {
            cleanup();
            reject(new Error(`SMTP peer: could not parse a received message: ${parseErrors[0]!.message}`));
            return;
          }
          const found = select();
          if (found.length >= n) {
            cleanup();
            resolve([...found]);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`SMTP peer: expected ${n} message(s) within ${timeoutMs} ms, got ${select().length}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async waitForMessageTo(address, o = {}) {
      const a = address.toLowerCase();
      const [m] = await peer.waitForMessages(1, { ...o, match: (x) => x.envelopeTo.includes(a) });
      return m!;
    },
    failWith(error) {
      failure = error;
    },
    rejectRecipient(address, error) {
      if (error) rejected.set(address.toLowerCase(), error);
      else rejected.delete(address.toLowerCase());
    },
    stop: shutdown,
    async start() {
      if (server) return;
      await listen();
    },
    clear() {
      messages.length = 0;
    },
    async close() {
      await shutdown();
      waiters.clear();
    },
  };
  return peer;
}

export const TEST_MAIL_FROM = 'Admit Test <no-reply@admit.test>';

/**
 * A TestApp whose mail goes over SMTP to a fresh in-process SMTP peer (SMTP_URL + MAIL_FROM set).
 * stop() stops both. Pass `smtp` to share one peer between apps, `env` to add or override variables.
 */
export async function startTestAppWithSmtp(
  opts: { env?: Record<string, string>; limits?: RateLimits; db?: TestDatabase; smtp?: SmtpPeer; security?: Partial<SecuritySettings> } = {},
): Promise<{ app: TestApp; smtp: SmtpPeer; stop: () => Promise<void> }> {
  const smtp = opts.smtp ?? (await startSmtpPeer());
  let app: TestApp;
  try {
    app = await startTestApp({
      env: { SMTP_URL: smtp.url, MAIL_FROM: TEST_MAIL_FROM, ...opts.env },
      ...(opts.limits ? { limits: opts.limits } : {}),
      ...(opts.db ? { db: opts.db } : {}),
      ...(opts.security ? { security: opts.security } : {}),
    });
  } catch (e) {
    if (!opts.smtp) await smtp.close();
    throw e;
  }
  return {
    app,
    smtp,
    async stop() {
      await app.stop();
      if (!opts.smtp) await smtp.close();
    },
  };
}
