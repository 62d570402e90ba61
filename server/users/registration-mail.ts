import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppServices } from '../app-services.js';
import type { UserSnapshot } from '../../shared/schemas/users.js';
import { EMAIL_VERIFY_TTL_HOURS } from '../../shared/schemas/verification.js';
import { queueEmail } from '../mail/outbox.js';
import { generateToken, hashToken } from '../security/tokens.js';
import { activeAdmins, registrationAnswersOf } from './users.repository.js';
import { insertVerifyToken, revokeVerifyTokens } from './verification.repository.js';
import { answerText } from '../../shared/registration-form.js';

// The emails of a self-registration: the verification link, then the policy's decision.

const userUrl = (app: AppServices, id: string) => `${app.publicUrl()}/admin/users/${id}`;
const loginUrl = (app: AppServices) => `${app.publicUrl()}/login`;

/**
 * Issues a new verification link (replacing any unused one) and queues the email carrying it.
 * The raw token lives only in the queued email's variables (removed once sent, see
 * emails/templates.ts SECRET_VARIABLES) and in the URL fragment, which browsers never send.
 */
export async function issueVerificationLink(
  app: AppServices,
  tx: EntityManager,
  user: { id: string; email: string; firstName: string },
  // newAccount: inserted in this very transaction, so it has no link to revoke.
  opts: { newAccount?: boolean } = {},
): Promise<void> {
  const now = app.clock.now();
  if (!opts.newAccount) await revokeVerifyTokens(tx, user.id, now);
  const token = generateToken();
  const outboxId = await queueEmail(
    tx,
    'verify-email',
    user.email,
    { firstName: user.firstName, verifyUrl: `${app.publicUrl()}/verify-email#token=${token}`, expiresInHours: EMAIL_VERIFY_TTL_HOURS },
    { userId: user.id },
  );
  // Written after its email, so the row carries the email's id from the start (one statement).
  await insertVerifyToken(tx, {
    id: randomUUID(),
    userId: user.id,
    tokenHash: hashToken(token),
    expiresAt: new Date(now.getTime() + EMAIL_VERIFY_TTL_HOURS * 3_600_000),
    now,
    outboxId,
  });
}

/**
 * The policy decided on a (verified, or verification not required) registration: a welcome email
 * when active; otherwise "registration received" to the developer and a note to every active admin.
 */
export async function announceDecision(app: AppServices, tx: EntityManager, user: UserSnapshot, status: 'active' | 'pending'): Promise<void> {
  if (status === 'active') {
    await queueEmail(tx, 'welcome', user.email, { firstName: user.firstName, loginUrl: loginUrl(app) }, { userId: user.id });
    return;
  }
  await queueEmail(tx, 'registration-received', user.email, { firstName: user.firstName }, { userId: user.id });
  // The sign-up fields' answers, as text, for {{answers.<key>}} in the admins' email.
  const [answered] = await registrationAnswersOf(tx, [user.id]);
  const answers = Object.fromEntries(Object.entries(answered?.answers ?? {}).map(([k, v]) => [k, answerText(v)]));
  for (const admin of await activeAdmins(tx)) {
    await queueEmail(
      tx,
      'admin-new-registration',
      admin.email,
      { adminFirstName: admin.firstName, userName: `${user.firstName} ${user.lastName}`, userEmail: user.email, userUrl: userUrl(app, user.id), answers },
      { userId: admin.id },
    );
  }
}
