import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP relay in front of the real PostgreSQL that can "freeze" it as seen by the app: while frozen,
 * nothing flows either way on open connections and new connections are accepted but get no answer
 * (what a SIGSTOPped or hung server looks like to a client). thaw() lets everything flow again.
 */
export interface FreezeProxy {
  /** The database URL through the relay. */
  url: string;
  freeze(): void;
  thaw(): void;
  close(): Promise<void>;
}

export async function startFreezeProxy(targetUrl: string): Promise<FreezeProxy> {
  const target = new URL(targetUrl);
  interface Pair {
    client: Socket;
    upstream: Socket;
    /** Bytes held while frozen, per direction. */
    held: { to: Socket; data: Buffer }[];
  }
  const pairs = new Set<Pair>();
  let frozen = false;
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    const pair: Pair = { client, upstream, held: [] };
    pairs.add(pair);
    const relay = (to: Socket) => (data: Buffer) => {
      if (frozen) pair.held.push({ to, data });
      else to.write(data);
    };
    client.on('data', relay(upstream));
    upstream.on('data', relay(client));
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  const port = (server.address() as AddressInfo).port;
  const url = new URL(targetUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.toString(),
    freeze() {
      frozen = true;
    },
    thaw() {
      frozen = false;
      for (const p of pairs) {
        for (const h of p.held.splice(0)) if (!h.to.destroyed) h.to.write(h.data);
      }
    },
    async close() {
      for (const p of pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
      await new Promise<void>((res) => server.close(() => res()));
    },
  };
}
