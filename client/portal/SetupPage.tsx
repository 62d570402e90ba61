import { Show, createEffect } from 'solid-js';
import type { SetupInput } from '../../shared/schemas/auth';
import { createForm, type Validator } from '../lib/form';
import { checkEmail, checkName, checkPassword, collect } from '../lib/checks';
import { hardNavigate, useMe } from '../lib/session';
import { trpc } from '../lib/trpc';
import { Button, FormError, TextField } from '../ui';
import { AuthLayout } from './AuthLayout';

const validateSetup: Validator<SetupInput, SetupInput> = (v) => {
  const errors = collect({
    firstName: checkName('First name', v.firstName),
    lastName: checkName('Last name', v.lastName),
    email: checkEmail(v.email),
    password: checkPassword(v.password),
    confirmPassword: v.password !== v.confirmPassword ? 'Passwords do not match' : undefined,
  });
  return Object.keys(errors).length ? { ok: false, errors } : { ok: true, data: v };
};

/** First run only: creates the first administrator. Once one exists, it sends visitors to log in. */
export default function SetupPage() {
  const me = useMe();
  const form = createForm(validateSetup, { firstName: '', lastName: '', email: '', password: '', confirmPassword: '' });

  createEffect(() => {
    if (me.data && !me.data.needsSetup && !form.busy()) hardNavigate(me.data.user ? '/' : '/login');
  });

  const onSubmit = (e: SubmitEvent) => {
    e.preventDefault();
    void form.submit(async (data) => {
      await trpc.auth.setup.mutate(data);
      hardNavigate('/admin/users');
    });
  };

  return (
    <Show when={me.data?.needsSetup} fallback={<div class="loading" aria-busy="true">Loading…</div>}>
      <AuthLayout title="Set up Admit" subtitle="Create the first administrator account. You can invite more admins later." wide>
        <form onSubmit={onSubmit} novalidate>
          <FormError message={form.formError()} />
          <div class="grid-2">
            <TextField label="First name" name="firstName" autocomplete="given-name" required maxLength={100}
              value={() => form.values().firstName} onInput={(v) => form.set('firstName', v)} error={form.error('firstName')} />
            <TextField label="Last name" name="lastName" autocomplete="family-name" required maxLength={100}
              value={() => form.values().lastName} onInput={(v) => form.set('lastName', v)} error={form.error('lastName')} />
          </div>
          <TextField label="Email" name="email" type="email" autocomplete="username" required
            value={() => form.values().email} onInput={(v) => form.set('email', v)} error={form.error('email')} />
          <TextField label="Password" name="password" type="password" autocomplete="new-password" required hint="8 to 256 characters"
            value={() => form.values().password} onInput={(v) => form.set('password', v)} error={form.error('password')} />
          <TextField label="Confirm password" name="confirmPassword" type="password" autocomplete="new-password" required
            value={() => form.values().confirmPassword} onInput={(v) => form.set('confirmPassword', v)} error={form.error('confirmPassword')} />
          <Button type="submit" variant="primary" busy={form.busy()}>
            Create administrator
          </Button>
        </form>
      </AuthLayout>
    </Show>
  );
}
