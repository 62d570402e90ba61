import type { AppServices } from '../app-services.js';
import type { SessionUser } from '../../shared/schemas/auth.js';
import { forgottenEmail, type ForgetOutput } from '../../shared/schemas/audit.js';
import { AppError } from '../errors.js';
import { appendEvent } from '../events/append.js';
import { transactionalWithRetry } from '../db/faults.js';
import { lockForTransaction } from '../db/locks.js';
import { loadUserSnapshot, lockUser } from '../users/users.repository.js';
import { assertAnotherActiveAdmin } from '../users/users.service.js';
import { redactWebhookDeliveriesFor } from '../webhooks/redact.js';
import {
  accountExists,
  addressesOf,
  anonymiseAccount,
  anyEventAbout,
  redactEventSnapshots,
  redactMailbox,
  redactOutbox,
  redactTermsEvidence,
  ipAddressesOf,
  removeIpKeys,
  removeAccountTraces,
  removeAddressKeys,
  replaceAddressInEvents,
  wasForgotten,
} from './privacy.repository.js';

/**
 * Forget (GDPR erasure, Art. 17), separate from Delete. The person's email address, names, IP
 * addresses and user agents go from every place Admit keeps them: their events' snapshots (and any
 * event naming their address), terms evidence, the email outbox, the built-in mailbox, sessions,
 * webhook deliveries, rate-limit keys and the suppression list. What stays is the skeleton: the
 * events themselves ("Forgotten person registered, was activated by Ada Lovelace"), who accepted
 * which terms when, which emails went when. An account that still exists stays as a skeleton too
 * (inactive, no password, placeholder name and address) so its page and history keep working;
 * Delete can remove it afterwards.
 *
 * One transaction; irreversible. Idempotent: forgetting again redacts anything that appeared since
 * (there should be nothing) and records no second `user.forgotten`.
 */
export async function forgetPerson(app: AppServices, actor: SessionUser, userId: string): Promise<ForgetOutput> {
  if (actor.id === userId) throw new AppError('CONFLICT', 'SELF_ACTION', 'You cannot forget your own account.');
  const placeholder = forgottenEmail(userId);
  return transactionalWithRetry(app, async (tx) => {
    // Two admins forgetting one person at once take turns (the second finds it done).
    await lockForTransaction(tx, 'forgetPerson');
    const locked = await lockUser(tx, userId);
    if (!locked && !(await anyEventAbout(tx, userId))) throw new AppError('NOT_FOUND', 'NOT_FOUND', 'Nothing is known about this person');
    if (locked) await assertAnotherActiveAdmin(tx, locked);
    const already = await wasForgotten(tx, userId);

    const addresses = await addressesOf(tx, userId, placeholder);
    const ips = await ipAddressesOf(tx, userId);
    const redacted: Record<string, number> = {};
    redacted.events = await redactEventSnapshots(tx, userId, placeholder);
    for (const a of addresses) redacted.events += await replaceAddressInEvents(tx, a, placeholder);
    redacted.termsAcceptances = await redactTermsEvidence(tx, userId);
    // The mailbox first: it finds the person's messages through their outbox rows' recipient id.
    redacted.mailboxMessages = await redactMailbox(tx, userId, addresses, placeholder);
    redacted.outbox = await redactOutbox(tx, userId, addresses, placeholder);
    // Webhooks' own rule (server/webhooks/redact.ts): the person's fields and any string naming their address become "[redacted]".
    redacted.webhookDeliveries = await redactWebhookDeliveriesFor(tx, { userId, emails: addresses });
    const traces = await removeAccountTraces(tx, userId);
    redacted.sessions = traces.sessions;
    redacted.tokens = traces.tokens;
    redacted.addressKeys = 0;
    for (const a of addresses) redacted.addressKeys += await removeAddressKeys(tx, a);
    for (const ip of ips) redacted.addressKeys += await removeIpKeys(tx, ip);

    const accountKept = locked !== null && (await accountExists(tx, userId));
    let user = null;
    if (accountKept) {
      if (!already || locked.email !== placeholder) await anonymiseAccount(tx, userId, placeholder, app.clock.now());
      user = await loadUserSnapshot(tx, userId);
    }
    if (!already) await appendEvent(tx, 'user.forgotten', { user, accountKept }, { actorId: actor.id, userId });
    return { userId, alreadyForgotten: already, accountKept, redacted, user };
  });
}
