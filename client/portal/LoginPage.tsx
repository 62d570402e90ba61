import { A, useSearchParams } from '@solidjs/router';
import { Show, createEffect } from 'solid-js';
import { loginInput } from '../../shared/schemas/auth';
import { createForm } from '../lib/form';
import { hardNavigate, useMe } from '../lib/session';
import { errorReason, trpc } from '../lib/trpc';
import { zodValidator } from '../lib/zod-form';
import { Button, FormError, TextField } from '../ui';
import { AuthLayout } from './AuthLayout';

export function LoginPage() {
  const me = useMe();
  const [params] = useSearchParams();
  const form = createForm(zodValidator(loginInput), { email: '', password: '' });

  createEffect(() => {
    if (me.data?.needsSetup) hardNavigate('/setup');
    else if (me.data?.user) hardNavigate('/');
  });

  const onSubmit = (e: SubmitEvent) => {
    e.preventDefault();
    void form.submit(async (data) => {
      try {
        await trpc.auth.login.mutate(data);
      } catch (err) {
        // Status refusals (pending, rejected, deactivated) are told as a banner, not as a field error.
        if (errorReason(err) === 'INVALID_CREDENTIALS') form.set('password', '');
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
        <div class="alert alert-success" role="status">Your password was changed. You are logged in on this device only.</div>
      </Show>
      <form onSubmit={onSubmit} novalidate aria-describedby="login-error">
        <FormError id="login-error" message={form.formError()} />
        <TextField
          label="Email"
          name="email"
          type="email"
          autocomplete="username"
          required
          {...form.field('email')}
        />
        <TextField
          label="Password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
          {...form.field('password')}
        />
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
