import type { AppServices } from '../app-services.js';
import { SECRET_VARIABLES } from '../../emails/templates.js';
import { OUTBOX_CHANNEL } from './outbox.js';
import { requeueAllFailed } from './outbox.repository.js';

/** Templates whose emails carry a one-time link: discarded on failure, so they cannot be retried. */
const SECRET_TEMPLATES = Object.entries(SECRET_VARIABLES as Record<string, string[]>)
  .filter(([, keys]) => keys.length > 0)
  .map(([t]) => t);

/**
 * "Retry all failed" (Admin › Mailbox › Outbox): every failed email goes back in the queue for a
 * fresh series of tries, except those that carried a one-time link (a new invite or reset must be
 * sent instead). Returns how many went back, and how many failed ones stay.
 */
export async function retryAllFailed(app: AppServices, actorId: string): Promise<{ retried: number; skipped: number }> {
  return app.em().transactional(async (tx) => {
    const result = await requeueAllFailed(tx, app.clock.now(), SECRET_TEMPLATES);
    if (result.retried > 0) {
      await tx.execute('select pg_notify(?, ?)', [OUTBOX_CHANNEL, 'retry-all']);
      app.log.info('failed emails queued again', { retried: result.retried, skipped: result.skipped, actorId });
    }
    return result;
  });
}
