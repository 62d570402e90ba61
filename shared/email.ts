/**
 * The one rule for email addresses, on the page and on the server.
 *
 * - Local part as RFC 5321 allows: a dot-atom (letters, digits and ! # $ % & ' * + / = ? ^ _ ` { | } ~ -,
 *   dots between them) or a quoted string of printable ASCII; at most 64 octets. Non-ASCII local
 *   parts (SMTPUTF8) are refused: most mail servers would bounce them.
 * - Domain: a host name of at least two labels (letters, digits, hyphens; 1–63 octets each; the last
 *   not all digits). Internationalised domains are accepted and converted to their ASCII (punycode)
 *   form, which is what is stored and used for sending; `displayEmail` shows it as Unicode again.
 *   Address literals (`user@[192.0.2.1]`) are refused.
 * - The whole address at most 254 octets (RFC 5321's path limit less the angle brackets).
 * - The domain is lower-cased; the local part is kept as typed (uniqueness is case-insensitive
 *   in the database).
 */
export const EMAIL_MAX_OCTETS = 254;
export const EMAIL_LOCAL_MAX_OCTETS = 64;

const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const QUOTED = /^"([\x20\x21\x23-\x5B\x5D-\x7E]|\\[\x20-\x7E])*"$/;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

const octets = (s: string) => new TextEncoder().encode(s).length;

export type EmailCheck = { ok: true; email: string } | { ok: false; message: string };

/** Host name → ASCII (IDNA, as the URL parser does in Node and in browsers), or null. */
function domainToAscii(domain: string): string | null {
  if (!domain || /[\s/\\?#@:[\]%]/.test(domain)) return null;
  try {
    return new URL(`http://${domain}/`).hostname;
  } catch {
    return null;
  }
}

export function checkEmail(input: string): EmailCheck {
  const value = input.trim();
  const at = value.lastIndexOf('@');
  if (at <= 0 || at === value.length - 1) return { ok: false, message: 'Enter a valid email address' };
  const local = value.slice(0, at);
  const rawDomain = value.slice(at + 1);
  if (!(DOT_ATOM.test(local) || QUOTED.test(local))) return { ok: false, message: 'Enter a valid email address' };
  if (octets(local) > EMAIL_LOCAL_MAX_OCTETS) return { ok: false, message: `The part before @ must be at most ${EMAIL_LOCAL_MAX_OCTETS} characters` };
  const domain = domainToAscii(rawDomain.normalize('NFC'));
  if (!domain || domain.endsWith('.')) return { ok: false, message: 'Enter a valid email address' };
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l)) || /^[0-9]+$/.test(labels[labels.length - 1]!)) {
    return { ok: false, message: 'Enter a valid email address' };
  }
  const email = `${local}@${domain}`;
  if (octets(email) > EMAIL_MAX_OCTETS) return { ok: false, message: `Email must be at most ${EMAIL_MAX_OCTETS} characters` };
  return { ok: true, email };
}

// RFC 3492 punycode decoding, for showing `xn--` labels as Unicode (browsers have no API for it).
function decodePunycode(input: string): string | null {
  const base = 36,
    tMin = 1,
    tMax = 26,
    skew = 38,
    damp = 700;
  const out: number[] = [];
  let n = 128,
    i = 0,
    bias = 72;
  const basic = input.lastIndexOf('-');
  for (let j = 0; j < Math.max(0, basic); j++) out.push(input.charCodeAt(j));
  const adapt = (delta: number, numPoints: number, first: boolean) => {
    let d = first ? Math.floor(delta / damp) : delta >> 1;
    d += Math.floor(d / numPoints);
    let k = 0;
    while (d > ((base - tMin) * tMax) >> 1) {
      d = Math.floor(d / (base - tMin));
      k += base;
    }
    return k + Math.floor(((base - tMin + 1) * d) / (d + skew));
  };
  for (let idx = basic > 0 ? basic + 1 : 0; idx < input.length;) {
    const oldi = i;
    for (let w = 1, k = base; ; k += base) {
      if (idx >= input.length) return null;
      const c = input.charCodeAt(idx++);
      const digit = c - 48 < 10 ? c - 22 : c - 65 < 26 ? c - 65 : c - 97 < 26 ? c - 97 : base;
      if (digit >= base) return null;
      i += digit * w;
      const t = k <= bias ? tMin : k >= bias + tMax ? tMax : k - bias;
      if (digit < t) break;
      w *= base - t;
    }
    bias = adapt(i - oldi, out.length + 1, oldi === 0);
    n += Math.floor(i / (out.length + 1));
    i %= out.length + 1;
    if (n > 0x10ffff) return null;
    out.splice(i++, 0, n);
  }
  return String.fromCodePoint(...out);
}

/** The stored (ASCII) address as people read it: `xn--` labels of the domain shown in Unicode. */
export function displayEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 0) return email;
  const domain = email
    .slice(at + 1)
    .split('.')
    .map((l) => (l.startsWith('xn--') ? (decodePunycode(l.slice(4)) ?? l) : l))
    .join('.');
  return `${email.slice(0, at)}@${domain}`;
}
