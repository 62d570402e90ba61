import type { AppServices } from '../app-services.js';
import type { ConfirmPasswordInput } from '../../shared/schemas/reauth.js';
import { AppError } from '../errors.js';
import { checkPassword } from '../security/password.js';
import { guardLogin, type LoginAttempt } from '../security/lockout.js';
import { markPasswordChecked } from '../sessions/sessions.repository.js';
import { passwordHashOf } from '../users/users.repository.js';
import { recordLoginFailure, recordLoginSuccess } from './login-lockout.service.js';

/**
 * Re-authentication ("sudo mode"): the signed-in user types their password again and the session
 * records the time (user_session.password_checked_at); sensitive admin changes need it to be recent
 * (recentAuthAdminProcedure). A wrong password is a failed login in every respect: it counts
 * towards the address's and the account's lockouts, and a locked-out address is refused here too,
 * so a stolen session cannot be used to guess the password at leisure.
 */
export async function confirmPassword(
  app: AppServices,
  who: { userId: string; sessionId: string },
  input: ConfirmPasswordInput,
  attempt: LoginAttempt,
): Promise<Date> {
  const guard = await guardLogin(app, attempt, who.userId, input.altcha);
  const hash = await passwordHashOf(app.em(), who.userId);
  const { ok } = await checkPassword(hash, input.password);
  if (!ok) {
    await recordLoginFailure(app, guard);
    throw new AppError('UNAUTHORIZED', 'INVALID_CREDENTIALS', 'Incorrect password', { fieldErrors: { password: 'Incorrect password' } });
  }
  await recordLoginSuccess(app, guard, attempt);
  const now = app.clock.now();
  await markPasswordChecked(app.em(), who.sessionId, now);
  return now;
}
