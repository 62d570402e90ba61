/**
 * When a failed email is tried again. With the default MAIL_RETRY_BASE_MS (30 s) the delays after
 * each failed attempt are: 30 s, 1 min, 2 min, 5 min, 10 min, 30 min, 1 h, then every hour until
 * the tries span 24 hours (31 attempts in all, the last about 24 h 50 min after the first); then the
 * email fails for good. A permanent refusal (5xx) fails at once. MAIL_RETRY_BASE_MS scales the
 * whole schedule (tests use a few milliseconds). Each delay gets up to 10 % added at random, so
 * emails that failed together do not all come back together, and the span never shrinks.
 */
export const RETRY_STEPS = [1, 2, 4, 10, 20, 60, 120] as const;
/** After the listed steps: this many bases (1 h at the default base) between tries. */
export const RETRY_STEP_AFTER = 120;
/** The tries span at least this many bases (24 h at the default base of 30 s). */
export const RETRY_SPAN_BASES = 2880;

/** The nominal delay (no jitter) after the n-th failed attempt (n ≥ 1), in units of the base. */
function stepAfter(attempt: number): number {
  return RETRY_STEPS[attempt - 1] ?? RETRY_STEP_AFTER;
}

/** Attempts needed so that the retries span RETRY_SPAN_BASES (31 with the steps above). */
export const DEFAULT_MAX_ATTEMPTS = (() => {
  let total = 0;
  let attempts = 1;
  while (total < RETRY_SPAN_BASES) total += stepAfter(attempts++);
  return attempts;
})();

/** The delay before retrying after the n-th attempt (n ≥ 1), with 0–10 % jitter added. */
export function retryDelayMs(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const nominal = stepAfter(Math.max(1, attempt)) * baseMs;
  return Math.round(nominal * (1 + 0.1 * random()));
}
