import type { ServerResponse } from 'node:http';
import type { Logger } from '../logger.js';

/**
 * The same stall cut-off for HTTP (SSE) subscriptions as the WebSocket live streams have
 * (server/events: a subscriber whose send buffer stays above the bound for the stall time is cut
 * off, and reconnects from its last id). Here the response is watched from outside tRPC: once it
 * is an event stream, a client that has not taken what was written (the response waits for a
 * drain, or holds more than maxBufferedBytes) for stallMs has its connection destroyed.
 */
export function watchStreamStall(res: ServerResponse, opts: { stallMs: number; maxBufferedBytes: number; log: Logger; ip: string }): void {
  let since: number | null = null;
  const tickMs = Math.max(20, Math.min(250, Math.floor(opts.stallMs / 4)));
  const timer = setInterval(() => {
    if (res.destroyed || res.writableEnded) return stop();
    const type = res.getHeader('content-type');
    if (typeof type !== 'string' || !type.startsWith('text/event-stream')) return;
    const waiting = (res.socket?.writableLength ?? 0) + res.writableLength;
    const stalled = res.writableNeedDrain || waiting > opts.maxBufferedBytes;
    if (!stalled) {
      since = null;
      return;
    }
    since ??= Date.now();
    if (Date.now() - since >= opts.stallMs) {
      opts.log.warn('event stream subscriber stopped reading; closing its connection', { bufferedBytes: waiting, ip: opts.ip });
      stop();
      res.destroy();
    }
  }, tickMs);
  timer.unref();
  const stop = () => clearInterval(timer);
  res.once('close', stop);
}
