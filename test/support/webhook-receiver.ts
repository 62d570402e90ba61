import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** What the receiver answered. */
  answered: number;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/**
 * A real HTTP webhook receiver on 127.0.0.1 (port 0, or a given port to come back on after
 * stop()). Answers each request with the next queued reply for its path, else 200.
 */
export interface WebhookReceiver {
  readonly port: number;
  url(path?: string): string;
  received: ReceivedWebhook[];
  /** Queue replies for a path (in order). */
  reply(path: string, ...replies: Reply[]): void;
  /** Resolves once `n` requests (in all, or for `path`) have arrived. */
  waitFor(n: number, path?: string, timeoutMs?: number): Promise<ReceivedWebhook[]>;
  stop(): Promise<void>;
  /** Listens again on the same port (after stop(): a receiver that was down comes back). */
  start(): Promise<void>;
}

export async function startWebhookReceiver(port = 0): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const replies = new Map<string, Reply[]>();
  const waiters: (() => void)[] = [];
  let server: Server | null = null;
  let actualPort = port;

  const listen = async () => {
    const s = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '/';
        const r = replies.get(path)?.shift() ?? { status: 200, body: 'ok' };
        received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), answered: r.status });
        res.writeHead(r.status, r.headers ?? {});
        res.end(r.body ?? '');
        for (const w of waiters.splice(0)) w();
      });
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(actualPort, '127.0.0.1', () => resolve());
    });
    actualPort = (s.address() as AddressInfo).port;
    server = s;
  };
  await listen();

  return {
    get port() {
      return actualPort;
    },
    url: (path = '/hook') => `http://127.0.0.1:${actualPort}${path}`,
    received,
    reply(path, ...r) {
      replies.set(path, [...(replies.get(path) ?? []), ...r]);
    },
    async waitFor(n, path, timeoutMs = 10_000) {
      const matching = () => received.filter((r) => path === undefined || r.path === path);
      const deadline = Date.now() + timeoutMs;
      while (matching().length < n) {
        if (Date.now() > deadline) throw new Error(`receiver got ${matching().length} of ${n} webhooks${path ? ` on ${path}` : ''}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 100);
        });
      }
      return matching();
    },
    async stop() {
      const s = server;
      server = null;
      if (s) await new Promise<void>((r) => s.close(() => r()));
    },
    start: listen,
  };
}

/**
 * A tiny authoritative DNS server on 127.0.0.1 (UDP, port 0) answering A and AAAA questions from
 * a fixed table, NXDOMAIN otherwise: lets tests make a host name resolve to a private address
 * without touching the system resolver (the app's WEBHOOK_DNS_SERVER points at it).
 */
export interface TestDnsServer {
  readonly address: string;
  /** Questions asked, as `name TYPE`. */
  asked: string[];
  close(): Promise<void>;
}

export async function startDnsServer(records: Record<string, { A?: string[]; AAAA?: string[] }>): Promise<TestDnsServer> {
  const socket: Socket = createSocket('udp4');
  const asked: string[] = [];
  socket.on('message', (msg, rinfo) => {
    // Header (12 bytes), then one question: labels, type, class.
    let o = 12;
    const labels: string[] = [];
    while (msg[o]! > 0) {
      const len = msg[o]!;
      labels.push(msg.subarray(o + 1, o + 1 + len).toString('ascii'));
      o += len + 1;
    }
    const qEnd = o + 5;
    const qtype = msg.readUInt16BE(o + 1);
    const name = labels.join('.').toLowerCase();
    const type = qtype === 1 ? 'A' : qtype === 28 ? 'AAAA' : String(qtype);
    asked.push(`${name} ${type}`);
    const entry = records[name];
    const answers = (type === 'A' ? entry?.A : type === 'AAAA' ? entry?.AAAA : undefined) ?? [];
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2); // id
    header.writeUInt16BE(0x8400 | (msg.readUInt16BE(2) & 0x0100) | (entry ? 0 : 3), 2); // response, authoritative, RD copied, NXDOMAIN when unknown
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    const question = msg.subarray(12, qEnd);
    const rrs = answers.map((ip) => {
      const rdata = type === 'A' ? Buffer.from(ip.split('.').map(Number)) : ipv6Bytes(ip);
      const rr = Buffer.alloc(12);
      rr.writeUInt16BE(0xc00c, 0); // pointer to the question's name
      rr.writeUInt16BE(qtype, 2);
      rr.writeUInt16BE(1, 4);
      rr.writeUInt32BE(60, 6);
      rr.writeUInt16BE(rdata.length, 10);
      return Buffer.concat([rr, rdata]);
    });
    socket.send(Buffer.concat([header, question, ...rrs]), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  const { port } = socket.address();
  return {
    address: `127.0.0.1:${port}`,
    asked,
    close: () => new Promise<void>((r) => socket.close(() => r())),
  };
}

function ipv6Bytes(ip: string): Buffer {
  const [head, tail] = ip.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
  return b;
}
