import { Show, createEffect } from 'solid-js';
import type { SetupInput } from '../../shared/schemas/auth';
import { createForm, lazyValidator } from '../lib/form';
import { hardNavigate, useMe } from '../lib/session';
import { trpc } from '../lib/trpc';
import { Button, FormError, PasswordFields, TextField, Loading } from '../ui';
import { AuthLayout } from './AuthLayout';

/** First run only: creates the first administrator. Once one exists, it sends visitors to log in. */
export default function SetupPage() {
  const me = useMe();
  const form = createForm(
    // Loaded at the first keystroke: zod stays out of the JavaScript a visitor landing here downloads.
    lazyValidator<SetupInput, SetupInput>(() =>
      Promise.all([import('../../shared/schemas/auth'), import('../lib/zod-form')]).then(([s, f]) => f.zodValidator(s.setupInput)),
    ),
    { firstName: '', lastName: '', email: '', password: '', confirmPassword: '' },
  );

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
            <TextField label="First name" name="firstName" autocomplete="given-name" required maxLength={100} {...form.field('firstName')} />
            <TextField label="Last name" name="lastName" autocomplete="family-name" required maxLength={100} {...form.field('lastName')} />
          </div>
          <TextField label="Email" name="email" type="email" autocomplete="username" required {...form.field('email')} />
          <PasswordFields password={form.field('password')} confirm={form.field('confirmPassword')} />
          <Button type="submit" variant="primary" busy={form.busy()}>
            Create administrator
          </Button>
        </form>
      </AuthLayout>
    </Show>
  );
}
