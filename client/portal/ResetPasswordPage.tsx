import { A } from '@solidjs/router';
import { Match, Switch, createResource, createSignal } from 'solid-js';
import type { CompletePasswordResetInput } from '../../shared/schemas/password-reset';
import { createForm, lazyValidator } from '../lib/form';
import { hardNavigate } from '../lib/session';
import { takeLinkToken } from '../lib/link-token';
import { errorMessage, errorReason, trpc } from '../lib/trpc';
import { Button, FormError, PasswordFields, Loading } from '../ui';
import { AuthLayout } from './AuthLayout';

interface Values {
  password: string;
  confirmPassword: string;
}

const TOKEN_REASONS = new Set(['TOKEN_INVALID', 'TOKEN_EXPIRED', 'TOKEN_USED', 'TOKEN_REVOKED']);
const wellFormed = (t: string) => /^[A-Za-z0-9_-]{16,128}$/.test(t);

/** /reset-password#token=…: checks the emailed link (a POST), then sets the new password and logs in. */
export default function ResetPasswordPage() {
  const token = takeLinkToken('token');
  // A refusal while submitting (used meanwhile, expired) replaces the form with the explanation.
  const [refusal, setRefusal] = createSignal<string | null>(
    wellFormed(token) ? null : 'This reset link is incomplete. Make sure you copied the whole link from the email, or ask for a new one.',
  );
  const [done, setDone] = createSignal(false);
  const [check] = createResource(
    () => (refusal() === null ? token : false),
    (t) =>
      trpc.auth.passwordReset.check.mutate({ token: t }).catch((err: unknown) => {
        setRefusal(errorMessage(err));
        return null;
      }),
  );
  // The procedure's own schema with the link's token, loaded at the first keystroke (zod stays out of the landing).
  const validate = lazyValidator<Values, CompletePasswordResetInput>(() =>
    Promise.all([import('../../shared/schemas/password-reset'), import('../lib/zod-form')]).then(([s, f]) => {
      const check = f.zodValidator(s.completePasswordResetInput);
      return (v: Values) => check({ ...v, token });
    }),
  );
  const form = createForm(validate, { password: '', confirmPassword: '' });

  const onSubmit = (e: SubmitEvent) => {
    e.preventDefault();
    void form.submit(async (data) => {
      try {
        await trpc.auth.passwordReset.complete.mutate(data);
        setDone(true);
      } catch (err) {
        const reason = errorReason(err);
        if (reason && TOKEN_REASONS.has(reason)) {
          setRefusal(errorMessage(err));
          return;
        }
        throw err;
      }
    });
  };

  return (
    <Switch fallback={<Loading>Checking your link…</Loading>}>
      <Match when={done()}>
        <AuthLayout title="Password changed">
          <div class="alert alert-success" role="status" data-testid="reset-done">
            Your new password is set and you are logged in. Every other device and browser was logged out.
          </div>
          <Button variant="primary" class="btn-block" onClick={() => hardNavigate('/')}>
            Continue
          </Button>
        </AuthLayout>
      </Match>
      <Match when={refusal()}>
        {(message) => (
          <AuthLayout title="This link cannot be used" footer={<A href="/login">Back to log in</A>}>
            <div class="alert alert-error" role="alert" data-testid="reset-refused">
              {message()}
            </div>
            <A class="btn btn-primary btn-block" href="/forgot-password">
              Ask for a new link
            </A>
          </AuthLayout>
        )}
      </Match>
      <Match when={check()}>
        {(info) => (
          <AuthLayout title="Choose a new password" subtitle={<>For {info().email}</>} footer={<A href="/login">Back to log in</A>}>
            <form onSubmit={onSubmit} novalidate aria-describedby="reset-error">
              <FormError id="reset-error" message={form.formError()} />
              {/* Lets password managers file the new password under the right account. */}
              <input type="email" name="username" autocomplete="username" value={info().email} readOnly hidden />
              <PasswordFields fresh autofocus password={form.field('password')} confirm={form.field('confirmPassword')} />
              <p class="text-sm muted">You will be logged out everywhere else, and logged in here.</p>
              <Button type="submit" variant="primary" busy={form.busy()}>
                Set new password
              </Button>
            </form>
          </AuthLayout>
        )}
      </Match>
    </Switch>
  );
}
