import { reconcileUserCounts } from '../events/user-counts.js';
import type { Job } from './scheduler.js';

/**
 * Compares the per-status counts kept by triggers (events/user-counts.ts) with a count of app_user
 * and corrects any drift (there is none unless something wrote with triggers off). One count of
 * the table per run: at a million users a fraction of a second of one core, every 6 hours by default.
 * The first run comes 10 minutes after a process starts, not at its first tick: a start changes no
 * count, and a full count at every start would weigh on start-up and rolling restarts.
 */
export function userCountsReconcileJob(opts: { intervalMs?: number; firstRunAfterMs?: number } = {}): Job {
  return {
    name: 'reconcile-user-counts',
    intervalMs: opts.intervalMs ?? 6 * 60 * 60_000,
    firstRunAfterMs: opts.firstRunAfterMs ?? 10 * 60_000,
    run: async ({ em, log }) => {
      const drift = await reconcileUserCounts(em());
      const off = Object.values(drift).reduce((a, n) => a + Math.abs(n), 0);
      if (off) log.warn('user counts drifted from app_user; corrected', { drift });
      return { userCountsCorrected: off };
    },
  };
}
