import { Show, createEffect } from 'solid-js';
import type { SetupInput } from '../../shared/schemas/auth';
import { createForm, type Validator } from '../lib/form';
import { checkEmail, checkName, checkPassword, collect } from '../lib/checks';
import { hardNavigate, useMe } from '../lib/session';
import { trpc } from '../lib/trpc';
import { Button, FormError, PasswordFields, TextField, Loading } from '../ui';
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
    <Show when={me.data?.needsSetup} fallback={<Loading />}>
      <AuthLayout title="Set up Admit" subtitle="Create the first administrator account. You can invite more admins later." wide>
        <form onSubmit={onSubmit} novalidate>
          <FormError message={form.formError()} />
          <div class="grid-2">
            <TextField label="First name" name="firstName" autocomplete="given-name" required maxLength={100}
              {...form.field('firstName')} />
            <TextField label="Last name" name="lastName" autocomplete="family-name" required maxLength={100}
              {...form.field('lastName')} />
          </div>
          <TextField label="Email" name="email" type="email" autocomplete="username" required
            {...form.field('email')} />
          <PasswordFields password={form.field('password')} confirm={form.field('confirmPassword')} />
          <Button type="submit" variant="primary" busy={form.busy()}>
            Create administrator
          </Button>
        </form>
      </AuthLayout>
    </Show>
  );
}
