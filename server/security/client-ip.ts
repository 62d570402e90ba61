import type { IncomingMessage } from 'node:http';
import proxyAddr from 'proxy-addr';
import type { TrustProxy } from '../config.js';

type Trust = (addr: string, hop: number) => boolean;
const compiled = new WeakMap<string[], Trust>();

function trustFor(trust: TrustProxy): Trust {
  if (trust === false) return () => false;
  // hop 0 is the socket's peer: n trusted hops means the peer and the n-1 proxies before it.
  if (typeof trust === 'number') return (_addr, hop) => hop < trust;
  let fn = compiled.get(trust);
  if (!fn) compiled.set(trust, (fn = proxyAddr.compile(trust)));
  return fn;
}

/**
 * The address of the client that sent this request (HTTP or WebSocket upgrade). Behind trusted
 * proxies (TRUST_PROXY) it is the first untrusted address counting from the right of
 * X-Forwarded-For (proxy-addr's rules), never the leftmost entry, which the client writes itself.
 */
export function clientIp(req: IncomingMessage, trust: TrustProxy = false): string {
  if (!req.socket.remoteAddress) return 'unknown';
  return proxyAddr(req, trustFor(trust));
}
