import { BlockList, isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import { Resolver } from 'node:dns/promises';

/**
 * The SSRF guard: a webhook may reach only public addresses, checked on the address actually
 * connected to. The host is resolved once, every address it resolves to is checked (one private
 * answer refuses the lot: a name that mixes public and private answers is a rebinding trick), and
 * the request then connects to the checked address itself (http-send.ts), with the Host header
 * and TLS server name still the URL's host. Redirects are never followed.
 *
 * Refused by default: unspecified, loopback, private (RFC 1918, unique local fc00::/7),
 * link-local (169.254/16 with the cloud metadata address, fe80::/10), CGNAT (100.64/10),
 * benchmarking, documentation and reserved ranges, multicast, broadcast; IPv4-mapped,
 * IPv4-compatible, NAT64 and 6to4 IPv6 addresses by the IPv4 address inside them.
 * WEBHOOK_ALLOWED_HOSTS lists hosts (names or addresses) allowed anyway (e.g. a receiver on the
 * same machine).
 */

const blocked4 = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked4.addSubnet(net, bits, 'ipv4');
}

const blocked6 = new BlockList();
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['100::', 64],
  ['2001::', 23],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  blocked6.addSubnet(net, bits, 'ipv6');
}

/** Expands an IPv6 address to its eight 16-bit groups (null when it is not one). */
function groups6(ip: string): number[] | null {
  let s = ip.toLowerCase();
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  // A trailing dotted IPv4 part counts as two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const b = v4[1]!.split('.').map(Number);
    s = s.slice(0, -v4[1]!.length) + ((b[0]! << 8) | b[1]!).toString(16) + ':' + ((b[2]! << 8) | b[3]!).toString(16);
  }
  const [head, tail] = s.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = tail !== undefined ? 8 - h.length - t.length : 0;
  const all = [...h, ...Array<string>(Math.max(0, fill)).fill('0'), ...t];
  if (all.length !== 8) return null;
  return all.map((g) => parseInt(g, 16));
}

function v4From(hi: number, lo: number): string {
  return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
}

/** Why this address may not be reached, or null when it is public. */
export function addressProblem(ip: string): string | null {
  const family = isIP(ip);
  if (family === 4) return blocked4.check(ip, 'ipv4') ? `${ip} is a private, loopback, link-local or reserved address` : null;
  if (family !== 6) return `${ip} is not an IP address`;
  const g = groups6(ip);
  if (!g) return `${ip} is not an IP address`;
  // IPv4 inside IPv6: mapped ::ffff:a.b.c.d, compatible ::a.b.c.d, NAT64 64:ff9b::a.b.c.d, 6to4 2002:AABB:CCDD::.
  const zeros = (n: number) => g.slice(0, n).every((x) => x === 0);
  let inner: string | null = null;
  if (zeros(5) && g[5] === 0xffff) inner = v4From(g[6]!, g[7]!);
  else if (zeros(6) && (g[6] !== 0 || g[7]! > 1)) inner = v4From(g[6]!, g[7]!);
  else if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) inner = v4From(g[6]!, g[7]!);
  else if (g[0] === 0x2002) inner = v4From(g[1]!, g[2]!);
  if (inner) {
    const p = addressProblem(inner);
    return p ? `${ip} carries ${inner}: ${p}` : null;
  }
  const normal = g.map((x) => x.toString(16)).join(':');
  return blocked6.check(normal, 'ipv6') ? `${ip} is a private, loopback, link-local or reserved address` : null;
}

export type ResolveHost = (host: string) => Promise<string[]>;

/** The resolver: the system's (getaddrinfo, as a plain request would use), or WEBHOOK_DNS_SERVER when set. */
export function hostResolver(dnsServer?: string): ResolveHost {
  if (!dnsServer) {
    return async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
  }
  const resolver = new Resolver({ timeout: 3000, tries: 2 });
  resolver.setServers([dnsServer]);
  return async (host) => {
    const settled = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
    const found = settled.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
    if (found.length === 0) {
      const err = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      throw err?.reason instanceof Error ? err.reason : new Error(`${host} has no address`);
    }
    return found;
  };
}

export class AddressRefused extends Error {
  override readonly name = 'AddressRefused';
}

export interface GuardOptions {
  allowedHosts: readonly string[];
  resolve: ResolveHost;
}

/** Resolves the URL's host once and returns the one address to connect to, or throws AddressRefused. */
export async function checkedAddress(url: URL, opts: GuardOptions): Promise<{ address: string; family: 4 | 6 }> {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const allowed = opts.allowedHosts.includes(host);
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = await opts.resolve(host);
    } catch (e) {
      throw new AddressRefused(`could not resolve ${host}: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (addresses.length === 0) throw new AddressRefused(`${host} has no address`);
  }
  if (!allowed) {
    for (const a of addresses) {
      const problem = addressProblem(a);
      if (problem) throw new AddressRefused(`refused: ${host} resolves to ${problem} (allow it with WEBHOOK_ALLOWED_HOSTS)`);
    }
  }
  const address = addresses[0]!;
  return { address, family: isIP(address) === 6 ? 6 : 4 };
}
