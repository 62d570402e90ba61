import type { AppServices } from '../app-services.js';
import { purgeExpiredUnverified } from '../users/verification.service.js';
import type { Job } from './scheduler.js';

/**
 * Deletes self-registrations whose owner never verified the address within the setting
 * (Settings › General, "Unverified registrations expire after", default 7 days), each with a
 * `user.deleted` event (no actor).
 */
export function unverifiedPurgeJob(app: AppServices, opts: { intervalMs?: number } = {}): Job {
  return {
    name: 'purge-unverified',
    intervalMs: opts.intervalMs ?? 60 * 60_000,
    run: async ({ now, signal }) => ({ unverifiedDeleted: await purgeExpiredUnverified(app, now, signal) }),
  };
}
