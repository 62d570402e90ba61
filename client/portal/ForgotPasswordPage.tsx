import { A, useSearchParams } from '@solidjs/router';
import { Show, createEffect, createSignal } from 'solid-js';
import type { RequestPasswordResetInput } from '../../shared/schemas/password-reset';
import { createForm, lazyValidator } from '../lib/form';
import { hardNavigate, useMe } from '../lib/session';
import { trpc } from '../lib/trpc';
import { Button, FormError, TextField } from '../ui';
import { AuthLayout } from './AuthLayout';
import { createBotCheck, whenReady } from './BotCheck';

/**
 * /forgot-password: asks for the account's email and sends a reset link. The answer is the same
 * whether or not the address has an account, so the page never tells who is registered.
 */
export default function ForgotPasswordPage() {
  const me = useMe();
  const [params] = useSearchParams();
  const [sentTo, setSentTo] = createSignal<string | null>(null);
  const form = createForm(
    // Loaded at the first keystroke: zod stays out of the JavaScript a visitor landing here downloads.
    lazyValidator<{ email: string }, RequestPasswordResetInput>(() =>
      Promise.all([import('../../shared/schemas/password-reset'), import('../lib/zod-form')]).then(([s, f]) => f.zodValidator(s.requestPasswordResetInput)),
    ),
    { email: typeof params.email === 'string' ? params.email : '' },
  );
  const bot = createBotCheck('reset');

  createEffect(() => {
    if (me.data?.user) hardNavigate('/');
  });

  const onSubmit = (e: SubmitEvent) => {
    e.preventDefault();
    void form.submit(async (data) => {
      await whenReady(bot);
      // Each solution works once: whatever the answer, the next submit gets a fresh check.
      await trpc.auth.passwordReset.request.mutate({ ...data, bot: bot.fields() }).finally(() => bot.reload());
      setSentTo(data.email);
    });
  };

  return (
    <Show
      when={sentTo()}
      fallback={
        <AuthLayout
          title="Reset your password"
          subtitle={<>Enter the email address of your {me.data?.portalName ?? 'portal'} account and we will email you a link to choose a new password.</>}
          footer={
            <>
              Remembered it? <A href="/login">Log in</A>
            </>
          }
        >
          <form onSubmit={onSubmit} novalidate aria-describedby="forgot-error">
            <FormError id="forgot-error" message={form.formError()} />
            <TextField label="Email" name="email" type="email" autocomplete="username" required autofocus {...form.field('email')} />
            {bot.view()}
            <Button type="submit" variant="primary" busy={form.busy()}>
              Send reset link
            </Button>
          </form>
        </AuthLayout>
      }
    >
      {(email) => (
        <AuthLayout
          title="Check your email"
          footer={
            <>
              <A href="/login">Back to log in</A>
            </>
          }
        >
          <div class="alert alert-success" role="status" data-testid="reset-requested">
            If an account exists for <strong>{email()}</strong>, we have sent it a link to reset the password. The link works once, for 60 minutes.
          </div>
          <p class="text-sm muted">
            No email after a few minutes? Check your spam folder, make sure the address is the one your account uses, or ask for another link.
          </p>
          <Button
            onClick={() => {
              setSentTo(null);
            }}
          >
            Ask for another link
          </Button>
        </AuthLayout>
      )}
    </Show>
  );
}
