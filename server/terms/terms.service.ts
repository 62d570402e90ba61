import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppServices } from '../app-services.js';
import type { SessionUser } from '../../shared/schemas/auth.js';
import type { PublishTermsInput, TermsVersion } from '../../shared/schemas/terms.js';
import { publishTermsInput } from '../../shared/schemas/terms.js';
import { AppError } from '../errors.js';
import { appendEvent } from '../events/append.js';
import { lockForTransaction } from '../db/locks.js';
import { insertTermsVersion, latestTerms, recordAcceptance } from './terms.repository.js';

export interface AcceptanceEvidence {
  ip: string;
  userAgent: string;
}

/** Publishes a new version of the terms (published versions never change). */
export async function publishTerms(app: AppServices, actor: SessionUser | null, raw: PublishTermsInput): Promise<TermsVersion> {
  const input = publishTermsInput.parse(raw);
  return app.em().transactional(async (tx) => {
    await lockForTransaction(tx, 'settings');
    const v = await insertTermsVersion(
      tx,
      { title: input.title, body: input.body || null, url: input.url || null, mustReaccept: input.mustReaccept, createdBy: actor?.id ?? null },
      app.clock.now(),
    );
    await appendEvent(tx, 'terms.published', { versionId: v.id, title: v.title, mustReaccept: v.mustReaccept }, { actorId: actor?.id ?? null });
    return v;
  });
}

/**
 * Sign-up and invite acceptance: with terms published, the form must carry the id of the newest
 * version (the box the person ticked). Returns the version to record, or null when there are none.
 */
export async function requireTicked(em: EntityManager, ticked: number | null | undefined): Promise<TermsVersion | null> {
  return requireTickedOf(await latestTerms(em), ticked);
}

/** requireTicked against the newest version the caller has read already (sign-up reads it with its settings). */
export function requireTickedOf(latest: TermsVersion | null, ticked: number | null | undefined): TermsVersion | null {
  if (!latest) return null;
  if (ticked !== latest.id) {
    throw new AppError('BAD_REQUEST', 'TERMS_ACCEPTANCE_REQUIRED', `Please accept the ${latest.title}`, {
      fieldErrors: { acceptTerms: `Please accept the ${latest.title}` },
      details: { termsVersionId: latest.id },
    });
  }
  return latest;
}

/** Records an acceptance (append-only row) and its event, in the caller's transaction. */
export async function recordTermsAcceptance(
  app: AppServices,
  tx: EntityManager,
  userId: string,
  versionId: number,
  evidence: AcceptanceEvidence,
  via: 'signup' | 'invite' | 'reaccept',
): Promise<void> {
  await recordAcceptance(tx, { userId, versionId, ip: evidence.ip, userAgent: evidence.userAgent }, app.clock.now());
  await appendEvent(tx, 'terms.accepted', { versionId, via }, { actorId: userId, userId });
}

/** The re-accept page: the signed-in user accepts the newest version. */
export async function acceptLatestTerms(app: AppServices, userId: string, versionId: number, evidence: AcceptanceEvidence): Promise<void> {
  await app.em().transactional(async (tx) => {
    const latest = await requireTicked(tx, versionId);
    if (!latest) throw new AppError('BAD_REQUEST', 'NOT_FOUND', 'There are no terms to accept');
    await recordTermsAcceptance(app, tx, userId, latest.id, evidence, 'reaccept');
  });
}
