/**
 * One rule for every human-entered text (names, reasons, settings, template texts), used by the
 * shared zod schemas so that the page and the server say the same thing.
 *
 * - Unicode NFC, so "é" typed two ways is one name.
 * - Never: NUL, lone surrogates (PostgreSQL refuses them; the browser would store U+FFFD), C0/C1
 *   control characters and DEL. Multi-line fields keep tab and newline (CR LF becomes LF).
 * - Never: bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069): they make text
 *   display in an order other than the one it is stored in ("Trojan Source").
 * - In names (people, organisations, the portal): no invisible characters either (zero-width
 *   space/joiners, word joiner, BOM, soft hyphen, Hangul fillers…: Unicode's
 *   Default_Ignorable_Code_Point, minus variation selectors), so two names that look the same are
 *   the same name.
 */
export type TextKind = 'name' | 'line' | 'multiline';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const CONTROL_SINGLE_LINE = /[\u0000-\u001F\u007F-\u009F]/;
const CONTROL_MULTI_LINE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/;
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/;
// Default_Ignorable_Code_Point without the variation selectors (emoji and CJK variants need them).
const INVISIBLE = /(?![\uFE00-\uFE0F]|\uDB40[\uDD00-\uDDEF])\p{Default_Ignorable_Code_Point}/u;

/** NFC, CR LF → LF; trimmed unless multi-line (where leading indentation may matter). */
export function normaliseText(value: string, kind: TextKind): string {
  if (LONE_SURROGATE.test(value)) return value; // normalize() would not fix it; textProblem reports it
  const nfc = value.normalize('NFC');
  return kind === 'multiline' ? nfc.replace(/\r\n?/g, '\n').trim() : nfc.trim();
}

/** Why `value` (already normalised) is not acceptable as `kind`, or null when it is. */
export function textProblem(value: string, kind: TextKind): string | null {
  if (value.includes('\u0000')) return 'contains a NUL character';
  if (LONE_SURROGATE.test(value)) return 'contains an invalid character (a lone surrogate)';
  if ((kind === 'multiline' ? CONTROL_MULTI_LINE : CONTROL_SINGLE_LINE).test(value)) {
    return kind === 'multiline' ? 'contains a control character' : 'must be a single line without control characters';
  }
  if (BIDI_CONTROL.test(value)) return 'contains a text-direction override character';
  if (kind === 'name' && INVISIBLE.test(value)) return 'contains an invisible character';
  return null;
}

/**
 * The key under which two names count as the same (organisations): NFKC, case-folded, runs of
 * white space as one space. Invisible characters are refused before this, so they never differ.
 */
export function nameKey(value: string): string {
  return value.normalize('NFKC').toLowerCase().replace(/\s+/gu, ' ').trim();
}
