/** Date helpers built on Intl only (no libraries). All accept ISO strings, Dates or epoch ms. */

type DateInput = string | number | Date | null | undefined;

const dateFormat = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

function toDate(value: DateInput): Date | null {
  if (value === null || value === undefined || value === '') return null;
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** "Mar 4, 2025" (in the user's locale). Empty string for missing/invalid input. */
export function formatDate(iso: DateInput): string {
  const d = toDate(iso);
  return d ? dateFormat.format(d) : '';
}

/** "Mar 4, 2025, 14:05" (in the user's locale). Empty string for missing/invalid input. */
export function formatDateTime(iso: DateInput): string {
  const d = toDate(iso);
  return d ? dateTimeFormat.format(d) : '';
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * Compact relative time: "just now", "5 min ago", "3 h ago", "1 day ago", "2 days ago".
 * Older than 30 days falls back to formatDate(). Future times read "in 5 min" etc.
 * Rounded to the nearest unit, as people count: a 7-day link seconds after sending is valid
 * "in 7 days" (not "in 6 days"), 23 h 40 min is "1 day".
 */
export function timeAgo(iso: DateInput, now: DateInput = Date.now()): string {
  const d = toDate(iso);
  const ref = toDate(now) ?? new Date();
  if (!d) return '';
  const diff = ref.getTime() - d.getTime();
  const abs = Math.abs(diff);
  if (abs < MINUTE) return 'just now';
  let text: string;
  const minutes = Math.round(abs / MINUTE);
  const hours = Math.round(abs / HOUR);
  const days = Math.round(abs / DAY);
  if (minutes < 60) text = `${minutes} min`;
  else if (hours < 24) text = `${hours} h`;
  else if (days <= 30) text = `${days} ${days === 1 ? 'day' : 'days'}`;
  else return formatDate(d);
  return diff >= 0 ? `${text} ago` : `in ${text}`;
}
