import type { AppServices } from '../app-services.js';
import type { SessionUser } from '../../shared/schemas/auth.js';
import type { AddSuppressionInput, SuppressionItem } from '../../shared/schemas/mail-safety.js';
import { AppError } from '../errors.js';
import { appendEvent } from '../events/append.js';
import { addSuppression, listSuppressions, removeSuppression } from './suppression.js';

/** Admin > Mailbox > Suppressed addresses. */
export function getSuppressions(app: AppServices): Promise<SuppressionItem[]> {
  return listSuppressions(app.em());
}

export async function suppressAddress(app: AppServices, actor: SessionUser, input: AddSuppressionInput): Promise<void> {
  await app.em().transactional(async (tx) => {
    if (!(await addSuppression(tx, { address: input.email, reason: input.reason, source: 'admin', createdById: actor.id }))) {
      throw new AppError('CONFLICT', 'CONFLICT', 'This address is already on the suppression list', { fieldErrors: { email: 'Already on the list' } });
    }
    await appendEvent(tx, 'mail.suppression_added', { address: input.email.toLowerCase(), reason: input.reason }, { actorId: actor.id });
  });
}

export async function unsuppressAddress(app: AppServices, actor: SessionUser, email: string): Promise<void> {
  await app.em().transactional(async (tx) => {
    if (!(await removeSuppression(tx, email))) throw new AppError('NOT_FOUND', 'NOT_FOUND', 'This address is not on the suppression list');
    await appendEvent(tx, 'mail.suppression_removed', { address: email.toLowerCase() }, { actorId: actor.id });
  });
}
