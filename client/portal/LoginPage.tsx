import { A, useSearchParams } from '@solidjs/router';
import { Show, createEffect, createRoot, createSignal } from 'solid-js';
import type { LoginInput } from '../../shared/schemas/auth';
import { createForm, lazyValidator } from '../lib/form';
import { hardNavigate, useMe } from '../lib/session';
import { errorMessage, errorReason, trpc } from '../lib/trpc';
import { Button, FormError, TextField, toast } from '../ui';
import { AuthLayout } from './AuthLayout';
import type { BotCheck } from './BotCheck';

// The procedure's own schema, loaded at the first keystroke: zod stays out of the JavaScript a
// visitor landing here downloads (scripts/report-bundle.ts holds /login to 35 KB).
const validateLogin = lazyValidator<{ email: string; password: string }, LoginInput>(() =>
  Promise.all([import('../../shared/schemas/auth'), import('../lib/zod-form')]).then(([s, f]) => f.zodValidator(s.loginInput)),
);

/** Refusals that tell the account's state to someone who knew the password: information, not an error. */
const STATUS_REASONS = new Set(['ACCOUNT_PENDING', 'ACCOUNT_REJECTED', 'ACCOUNT_INACTIVE', 'ACCOUNT_UNVERIFIED']);

export function LoginPage() {
  const me = useMe();
  const [params] = useSearchParams();
  const form = createForm(validateLogin, { email: '', password: '' });

  createEffect(() => {
    if (me.data?.needsSetup) hardNavigate('/setup');
    else if (me.data?.user) hardNavigate('/');
  });

  // After ACCOUNT_UNVERIFIED (told only once the password was right): offer a new verification link.
  const [unverified, setUnverified] = createSignal<string | null>(null);
  const [resent, setResent] = createSignal(false);
  // After CHALLENGE_REQUIRED (many failed logins on the account): a proof-of-work this browser solves, loaded only then.
  const [check, setCheck] = createSignal<BotCheck | null>(null);
  // A pending, declined, deactivated or unverified account: told as information (the password was right), not as an error.
  const [notice, setNotice] = createSignal<{ reason: string; message: string } | null>(null);

  const onSubmit = (e: SubmitEvent) => {
    e.preventDefault();
    void form.submit(async (data) => {
      try {
        const c = check();
        if (c) await import('./BotCheck').then((m) => m.whenReady(c));
        const altcha = c?.fields().altcha;
        await trpc.auth.login.mutate({ ...data, ...(altcha ? { altcha } : {}) }).finally(() => c?.reload());
      } catch (err) {
        if (errorReason(err) === 'CHALLENGE_REQUIRED' && !check()) {
          const { createBotCheck } = await import('./BotCheck');
          setCheck(createRoot(() => createBotCheck('login', () => data.email)));
        }
        // A wrong password keeps both fields as typed: the banner says "Incorrect email or password", nothing more.
        const reason = errorReason(err);
        setUnverified(reason === 'ACCOUNT_UNVERIFIED' ? data.email : null);
        if (reason && STATUS_REASONS.has(reason)) {
          setNotice({ reason, message: errorMessage(err) });
          return;
        }
        setNotice(null);
        throw err;
      }
      const next = typeof params.next === 'string' && params.next.startsWith('/') && !params.next.startsWith('//') ? params.next : '/';
      hardNavigate(next);
    });
  };

  return (
    <AuthLayout
      title="Log in"
      subtitle={<>Welcome back to {me.data?.portalName ?? 'the developer portal'}.</>}
      footer={
        <Show when={me.data?.signupEnabled !== false}>
          New here? <A href="/register">REGISTER</A>
        </Show>
      }
    >
      <Show when={params.reset === 'done'}>
        <div class="alert alert-success" role="status">
          Your password was changed. You are logged in on this device only.
        </div>
      </Show>
      <form onSubmit={onSubmit} novalidate aria-describedby="login-error">
        <FormError id="login-error" message={form.formError()} />
        <Show when={notice()}>
          {(n) => (
            <div class="alert alert-info" role="status" data-testid="login-notice" data-reason={n().reason}>
              <div>{n().message}</div>
            </div>
          )}
        </Show>
        <Show when={check()}>{(c) => c().view()}</Show>
        <Show when={unverified()}>
          {(email) => (
            <p data-testid="resend-verification">
              <Button
                variant="secondary"
                disabled={resent()}
                onClick={() =>
                  void trpc.auth.verifyEmail.resend.mutate({ email: email() }).then(
                    () => setResent(true),
                    (e: unknown) => toast(errorMessage(e), 'error'),
                  )
                }
              >
                {resent() ? 'A new link is on its way' : 'Send the verification link again'}
              </Button>
            </p>
          )}
        </Show>
        <TextField label="Email" name="email" type="email" autocomplete="username" required {...form.field('email')} />
        <TextField label="Password" name="password" type="password" autocomplete="current-password" required {...form.field('password')} />
        <div class="row-between text-sm">
          <span />
          <A href="/forgot-password">Forgot password?</A>
        </div>
        <Button type="submit" variant="primary" busy={form.busy()}>
          Log in
        </Button>
      </form>
    </AuthLayout>
  );
}
