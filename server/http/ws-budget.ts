import { WebSocket } from 'ws';
import { TRPCError } from '@trpc/server';
import { getErrorShape } from '@trpc/server/unstable-core-do-not-import';
import type { AnyRouter } from '@trpc/server';
import type { RequestBudgets } from '../config.js';
import type { Logger } from '../logger.js';

/**
 * WebSocket budgets (issue 10, item 2): how many sockets one IP and all unauthenticated clients
 * may hold, and per socket a message rate, a number of requests in flight, and an idle timeout
 * for unauthenticated sockets. A message over budget is refused with a TOO_MANY_REQUESTS error
 * frame before tRPC parses it; a socket that keeps flooding is closed with 1008.
 */

export type Admission = { ok: true; release: () => void } | { ok: false; status: 429 | 503; message: string };

export class ConnectionRegistry {
  private readonly perIp = new Map<string, number>();
  private unauthenticated = 0;

  constructor(private readonly budgets: RequestBudgets) {}

  /** Takes a per-IP slot at once (before any await), so simultaneous upgrades cannot overshoot. */
  reserveIp(ip: string): (() => void) | null {
    const n = this.perIp.get(ip) ?? 0;
    if (n >= this.budgets.wsMaxConnectionsPerIp) return null;
    this.perIp.set(ip, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.perIp.get(ip) ?? 1) - 1;
      if (left <= 0) this.perIp.delete(ip);
      else this.perIp.set(ip, left);
    };
  }

  /** Takes an unauthenticated slot; null when the overall cap is reached. */
  reserveUnauthenticated(): (() => void) | null {
    if (this.unauthenticated >= this.budgets.wsMaxUnauthenticated) return null;
    this.unauthenticated++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.unauthenticated--;
    };
  }

  get counts() {
    return { ips: this.perIp.size, unauthenticated: this.unauthenticated };
  }
}

const FLOOD_WINDOW_MS = 10_000;
/** Refusal frames are not queued behind a client that does not read them. */
const MAX_BUFFERED_FOR_REFUSALS = 256 * 1024;
/** Frames larger than this are refused without looking for their ids. */
const MAX_PARSED_REFUSAL = 16 * 1024;

interface BudgetOptions {
  budgets: RequestBudgets;
  authenticated: boolean;
  router: AnyRouter;
  log: Logger;
  ip: string;
}

/** The per-socket budget; created on the upgrade, consulted by BudgetedWebSocket before tRPC sees a message. */
export class SocketBudget {
  private tokens: number;
  private lastRefill = Date.now();
  private refusals = 0;
  private windowStart = Date.now();
  private closing = false;
  /** Ids (their JSON text) of queries and mutations sent and not yet answered, with counts. */
  private readonly inFlight = new Map<string, number>();
  private inFlightTotal = 0;
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly ws: BudgetedWebSocket,
    private readonly opts: BudgetOptions,
  ) {
    this.tokens = opts.budgets.wsMessageBurst;
    if (!opts.authenticated) this.touch();
    ws.once('close', () => {
      if (this.idleTimer) clearTimeout(this.idleTimer);
      this.closing = true;
    });
  }

  /** An unauthenticated socket's idle clock restarts with every request it sends. */
  private touch() {
    if (this.opts.authenticated || this.closing) return;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.close('Idle connection without a session'), this.opts.budgets.wsUnauthenticatedIdleMs);
    this.idleTimer.unref();
  }

  private close(reason: string) {
    if (this.closing) return;
    this.closing = true;
    this.ws.close(1008, reason);
    // A client that does not answer the close handshake (a flooder) is cut off soon after.
    setTimeout(() => this.ws.terminate(), 1_000).unref();
  }

  /** True when tRPC may handle the message; false when it was refused here. */
  admit(data: unknown, isBinary: boolean): boolean {
    if (this.closing) return false;
    const now = Date.now();
    this.tokens = Math.min(this.opts.budgets.wsMessageBurst, this.tokens + ((now - this.lastRefill) / 1000) * this.opts.budgets.wsMessagesPerSecond);
    this.lastRefill = now;
    const text = !isBinary && Buffer.isBuffer(data) ? data : null;
    const keepAlive = text !== null && text.length === 4 && (text.equals(PING) || text.equals(PONG));
    if (this.tokens < 1) {
      this.refuse(text, 'Too many messages on this connection; slow down');
      return false;
    }
    this.tokens -= 1;
    if (keepAlive || text === null) return true;

    // Count the queries and mutations this frame starts (a frame may be a batch array).
    let msgs: unknown[];
    try {
      const parsed: unknown = JSON.parse(text.toString('utf8'));
      msgs = Array.isArray(parsed) ? parsed : [parsed];
    } catch {
      return true; // tRPC answers a PARSE_ERROR itself.
    }
    if (msgs.length > this.opts.budgets.trpcMaxBatch) return true; // tRPC refuses the batch (maxBatchSize).
    const starts: string[] = [];
    for (const m of msgs) {
      if (m && typeof m === 'object' && 'id' in m) {
        const { id, method } = m as { id: unknown; method: unknown };
        if ((method === 'query' || method === 'mutation') && (typeof id === 'number' || typeof id === 'string')) starts.push(JSON.stringify(id));
      }
    }
    if (this.inFlightTotal + starts.length > this.opts.budgets.wsMaxInFlight) {
      this.refuse(text, 'Too many requests in flight on this connection; wait for answers first', msgs);
      return false;
    }
    for (const id of starts) this.inFlight.set(id, (this.inFlight.get(id) ?? 0) + 1);
    this.inFlightTotal += starts.length;
    this.touch();
    return true;
  }

  /** Called with every outgoing frame: an answer to a query or mutation ends its flight. */
  sent(data: unknown) {
    if (this.inFlightTotal === 0 || typeof data !== 'string') return;
    const m = ANSWER_ID.exec(data);
    if (!m) return;
    const n = this.inFlight.get(m[1]!);
    if (n === undefined) return;
    if (n <= 1) this.inFlight.delete(m[1]!);
    else this.inFlight.set(m[1]!, n - 1);
    this.inFlightTotal--;
  }

  private refuse(text: Buffer | null, message: string, msgs?: unknown[]) {
    const now = Date.now();
    if (now - this.windowStart > FLOOD_WINDOW_MS) {
      this.windowStart = now;
      this.refusals = 0;
    }
    this.refusals++;
    if (this.refusals === 1 || this.refusals % 1000 === 0)
      this.opts.log.warn('websocket message refused (budget)', { ip: this.opts.ip, reason: message, refusals: this.refusals });
    if (this.refusals > this.opts.budgets.wsFloodCloseAfter) {
      this.opts.log.warn('websocket flood; closing the connection', { ip: this.opts.ip, refusals: this.refusals });
      this.close('Too many messages');
      return;
    }
    if (this.ws.bufferedAmount > MAX_BUFFERED_FOR_REFUSALS) return;
    if (!msgs && text !== null && text.length <= MAX_PARSED_REFUSAL) {
      try {
        const parsed: unknown = JSON.parse(text.toString('utf8'));
        msgs = Array.isArray(parsed) ? parsed : [parsed];
      } catch {
        msgs = [];
      }
    }
    const shape = refusalShape(this.opts.router, message);
    let answered = false;
    for (const m of msgs ?? []) {
      if (!m || typeof m !== 'object') continue;
      const { id, method } = m as { id: unknown; method: unknown };
      if (method === 'subscription.stop' || (typeof id !== 'number' && typeof id !== 'string')) continue;
      this.ws.sendRaw(JSON.stringify({ id, error: shape }));
      answered = true;
    }
    if (!answered) this.ws.sendRaw(JSON.stringify({ id: null, error: shape }));
  }
}

const PING = Buffer.from('PING');
const PONG = Buffer.from('PONG');
/** tRPC writes answers as JSON.stringify({ id, jsonrpc?, result | error }): the id comes first. */
const ANSWER_ID = /^\{"id":("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/;

const shapes = new Map<string, unknown>();
function refusalShape(router: AnyRouter, message: string): unknown {
  let s = shapes.get(message);
  if (!s) {
    s = getErrorShape({
      config: router._def._config,
      error: new TRPCError({ code: 'TOO_MANY_REQUESTS', message }),
      type: 'unknown',
      path: undefined,
      input: undefined,
      ctx: undefined,
    });
    shapes.set(message, s);
  }
  return s;
}

/**
 * The WebSocket class the server uses: each incoming message passes its socket's budget before
 * anyone (tRPC) hears of it, and each outgoing frame is shown to the budget (in-flight count).
 */
export class BudgetedWebSocket extends WebSocket {
  budget: SocketBudget | null = null;

  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'message' && this.budget && !this.budget.admit(args[0], args[1] === true)) return false;
    return super.emit(event, ...args);
  }

  override send(data: unknown, ...rest: unknown[]): void {
    this.budget?.sent(data);
    (super.send as (...a: unknown[]) => void)(data, ...rest);
  }

  /** Sends without in-flight accounting (refusals). */
  sendRaw(data: string): void {
    if (this.readyState === WebSocket.OPEN) super.send(data);
  }
}
