import fc from 'fast-check';

/** The seed of every fuzz suite: FUZZ_SEED to reproduce a failure a run printed. */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20261203);

/** Procedure paths worth aiming at: real ones (anonymous, read-only or refusing junk) and near misses. */
export const PATHS = [
  'auth.me',
  'auth.login',
  'auth.logout',
  'auth.setup',
  'auth.register',
  'invite.inspect',
  'admin.users.list',
  'admin.users.get',
  'admin.users.stats',
  'admin.events.position',
  'admin.events.onUserEvent',
  'admin.settings.general.get',
  'auth',
  'admin',
  '',
  'auth.me.x',
  '__proto__',
  'constructor.prototype',
  'auth..me',
];

const PIECES = [
  '%',
  '%%',
  '%2',
  '%E0',
  '%E0%A4%A',
  '%00',
  '%0A',
  '%0D%0A',
  '%2F',
  '%25',
  '%252F',
  '%C0%AF',
  '%FF',
  '%FE%FF',
  '%ED%A0%80',
  '%F4%90%80%80',
  '..',
  '/',
  '//',
  '\\',
  ',',
  '.',
  ';',
  '#',
  '?',
  '&',
  '=',
  '+',
  '*',
  '@',
  ':',
  '[',
  ']',
  '{',
  '}',
  '"',
  "'",
  '<',
  '>',
  '|',
  '`',
  '^',
  '~',
  '\u00e9',
  '\u202e',
  '\u200b',
  '\ud800',
  '\udfff',
  '\u0000',
  '\u0085',
  '\u2028',
  '\ufeff',
  '%u0041',
  '%%32%35',
  '&#x25;',
];

/** encodeURIComponent, except that lone surrogates pass through raw (on the wire as U+FFFD). */
function encodeLoosely(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return s.replace(/[^\ud800-\udfff]+/g, (m) => encodeURIComponent(m));
  }
}

/** A string of percent-encodings, separators and odd characters mixed with procedure paths. */
export const junkPath = fc
  .array(fc.oneof(fc.constantFrom(...PIECES), fc.constantFrom(...PATHS), fc.string({ maxLength: 6 }), fc.string({ unit: 'binary', maxLength: 4 })), {
    maxLength: 8,
  })
  .map((a) => a.join(''));

/** Strings that survive the HTTP parser in a request line (no spaces, CR, LF); others do not, also good. */
export const requestTarget = fc.oneof(
  { weight: 5, arbitrary: junkPath.map((p) => '/trpc/' + p) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom(...PATHS), fc.array(fc.constantFrom(...PATHS), { maxLength: 60 }))
      .map(([a, b]) => `/trpc/${[a, ...b].join(',')}?batch=1`),
  },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...PATHS), fc.oneof(fc.json(), junkPath, fc.string())).map(([p, i]) => `/trpc/${p}?input=${i}`) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...PATHS), fc.oneof(fc.json(), junkPath)).map(([p, i]) => `/trpc/${p}?batch=1&input=${encodeLoosely(i)}`) },
  { weight: 2, arbitrary: junkPath.map((p) => '/' + p) },
  { weight: 1, arbitrary: junkPath.map((p) => '/assets/' + p) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '*',
      '//[',
      'http://[/trpc',
      'http://a:99999/trpc',
      'http://x/trpc/auth.me',
      'https://evil.example/trpc/%',
      'localhost:80',
      '/trpc',
      '/trpc/',
      '/healthz?x=%',
      '/trpc?%',
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
);

export const HEADER_NAMES = [
  'Cookie',
  'Origin',
  'Content-Type',
  'Content-Length',
  'Transfer-Encoding',
  'Host',
  'Accept',
  'Accept-Encoding',
  'X-Forwarded-For',
  'Sec-Fetch-Site',
  'Last-Event-Id',
  'Connection',
  'Expect',
  'Range',
  'trpc-accept',
  'X-Junk',
];

export const headerValue = fc.oneof(
  { weight: 4, arbitrary: junkPath },
  { weight: 2, arbitrary: fc.string({ maxLength: 60 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'application/json',
      'text/event-stream',
      'chunked',
      'gzip, chunked',
      '-1',
      '99999999999999999999',
      '0',
      '1e3',
      'admit_session=%',
      'admit_session=%E0%A4; a=%',
      'http://localhost',
      'null',
      'cross-site',
      'application/jsonl',
      'close',
      '100-continue',
      'bytes=0-',
    ),
  },
);

export const headers = fc.array(
  fc.tuple(fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...HEADER_NAMES) }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) }), headerValue),
  { maxLength: 6 },
);

/** Bodies: JSON, tRPC-shaped envelopes (batch maps), junk. */
export const body = fc.oneof(
  { weight: 3, arbitrary: fc.json() },
  { weight: 3, arbitrary: fc.dictionary(fc.constantFrom('0', '1', '2', '-1', 'x', '__proto__'), fc.jsonValue()).map((d) => JSON.stringify(d)) },
  {
    weight: 2,
    arbitrary: fc
      .record({ email: fc.oneof(fc.string(), fc.jsonValue()), password: fc.oneof(fc.string(), fc.jsonValue()), token: fc.string() }, { requiredKeys: [] })
      .map((r) => JSON.stringify(r)),
  },
  { weight: 2, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.constant('') },
);
