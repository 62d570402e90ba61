import { Match, Show, Switch, createEffect, createSignal } from 'solid-js';
import { PASSWORD_MAX, PASSWORD_MIN } from '../../shared/constants';
import { changePasswordInput } from '../../shared/schemas/change-password';
import { createForm } from '../lib/form';
import { hardNavigate, refreshMe, useMe } from '../lib/session';
import { errorReason, trpc } from '../lib/trpc';
import { zodValidator } from '../lib/zod-form';
import { Button, FormError, PasswordFields, TextField, Loading } from '../ui';
import { AuthLayout } from './AuthLayout';

/**
 * /change-password: a voluntary change, or the required one after an admin set "User must change
 * password at the next login" (every other page sends such a user here until it is done).
 */
export default function ChangePasswordPage() {
  const me = useMe();
  const [done, setDone] = createSignal<{ otherSessionsRevoked: number } | null>(null);
  // Remembered at first render: after the change, me() no longer says it was required.
  const [forced, setForced] = createSignal(false);
  const form = createForm(zodValidator(changePasswordInput), { currentPassword: '', newPassword: '', confirmPassword: '' });

  createEffect(() => {
    if (me.data && !me.data.user) hardNavigate('/login?next=/change-password');
    if (me.data?.user?.mustChangePassword) setForced(true);
  });

  const home = () => (me.data?.user?.role === 'admin' ? '/admin/users' : '/home');

  const onSubmit = (e: SubmitEvent) => {
    e.preventDefault();
    void form.submit(async (data) => {
      try {
        const r = await trpc.auth.changePassword.mutate(data);
        setDone({ otherSessionsRevoked: r.otherSessionsRevoked });
        void refreshMe();
      } catch (err) {
        if (errorReason(err) === 'INVALID_CREDENTIALS') form.set('currentPassword', '');
        if (errorReason(err) === 'USER_CHANGED') hardNavigate('/login?next=/change-password');
        throw err;
      }
    });
  };

  return (
    <Show when={me.data?.user} fallback={<Loading />}>
      {(user) => (
        <Switch>
          <Match when={done()}>
            {(result) => (
              <AuthLayout title="Password changed">
                <div class="alert alert-success" role="status">
                  Your new password is set.
                  <Show when={result().otherSessionsRevoked > 0}>
                    {' '}
                    You were logged out on {result().otherSessionsRevoked} other{' '}
                    {result().otherSessionsRevoked === 1 ? 'device or browser' : 'devices or browsers'}.
                  </Show>
                </div>
                <a class="btn btn-primary btn-block" href={home()}>
                  Continue
                </a>
              </AuthLayout>
            )}
          </Match>
          <Match when={!done()}>
            <AuthLayout
              title={forced() ? 'Choose a new password' : 'Change password'}
              subtitle={<>Signed in as {user().email}</>}
              footer={forced() ? <a href="/logout">Log out</a> : <a href={home()}>Back</a>}
            >
              <Show when={forced()}>
                <div class="alert alert-warning" role="status">
                  Your administrator asks you to replace the password you were given before you continue.
                </div>
              </Show>
              <form onSubmit={onSubmit} novalidate>
                <FormError message={form.formError()} />
                <TextField
                  label="Current password"
                  name="currentPassword"
                  type="password"
                  autocomplete="current-password"
                  required
                  {...form.field('currentPassword')}
                />
                <PasswordFields
                  fresh
                  name="newPassword"
                  hint={`${PASSWORD_MIN} to ${PASSWORD_MAX} characters, different from the current one`}
                  password={form.field('newPassword')}
                  confirm={form.field('confirmPassword')}
                />
                <p class="text-sm muted">Other devices and browsers where you are logged in will be logged out.</p>
                <Button type="submit" variant="primary" busy={form.busy()}>
                  Change password
                </Button>
              </form>
            </AuthLayout>
          </Match>
        </Switch>
      )}
    </Show>
  );
}
