import { A, useSearchParams } from '@solidjs/router';
import { Match, Show, Switch, createEffect, createSignal, lazy } from 'solid-js';
import type { RegisterInput, RegisterOutput } from '../../shared/schemas/users';
import { NAME_MAX, PASSWORD_MAX } from '../../shared/constants';
import { createForm, lazyValidator } from '../lib/form';
import { hardNavigate, refreshMe, useMe } from '../lib/session';
import { errorReason, trpc } from '../lib/trpc';
import { Button, FormError, PasswordFields, TextField, Loading } from '../ui';
import { AuthLayout } from './AuthLayout';
import { createBotCheck, whenReady } from './BotCheck';
import { createCustomFields } from './CustomFields';

type RegisterValues = Pick<RegisterInput, 'firstName' | 'lastName' | 'email' | 'password' | 'confirmPassword'>;

interface Outcome {
  status: RegisterOutput['status'];
  firstName: string;
  email: string;
}

// An invitee's link (/register?invite=<token>) opens the same form, prefilled and locked to the invited email.
const AcceptInvitePage = lazy(() => import('./AcceptInvitePage'));

/** /register: "Create an Account" — a developer registers on the portal. */
export default function RegisterPage() {
  const [params] = useSearchParams();
  if (typeof params.invite === 'string' && params.invite) return <AcceptInvitePage token={params.invite} />;
  const me = useMe();
  const [outcome, setOutcome] = createSignal<Outcome | null>(null);
  const [closed, setClosed] = createSignal(false);
  // Inline validation with the very schema the server applies to auth.signup.
  const form = createForm(
    // Loaded at the first keystroke: zod stays out of the JavaScript a visitor landing here downloads.
    lazyValidator<RegisterValues, RegisterInput>(() =>
      Promise.all([import('../../shared/schemas/users'), import('../lib/zod-form')]).then(([s, f]) => f.zodValidator(s.registerInput)),
    ),
    { firstName: '', lastName: '', email: '', password: '', confirmPassword: '' },
  );
  const bot = createBotCheck('signup');
  // The admin's sign-up fields and the terms box (CustomFields.tsx).
  const custom = createCustomFields();

  createEffect(() => {
    if (me.data?.needsSetup) hardNavigate('/setup');
    else if (me.data?.user) hardNavigate('/');
  });

  const signupClosed = () => closed() || me.data?.signupEnabled === false;

  const onSubmit = (e: SubmitEvent) => {
    e.preventDefault();
    const extras = custom.collect();
    void form.submit(async (data) => {
      const extra = await extras;
      if (!extra) return;
      try {
        await whenReady(bot);
        const res = await trpc.auth.signup.mutate({ ...data, ...extra, bot: bot.fields() }).catch((e: unknown) => {
          // Each solution works once: a refused submit gets a fresh check.
          bot.reload();
          throw e;
        });
        setOutcome({ status: res.status, firstName: data.firstName, email: data.email });
      } catch (err) {
        custom.serverError(err);
        if (errorReason(err) === 'SIGNUP_DISABLED') {
          // Switched off while the form was open: show the notice, refresh the public settings.
          setClosed(true);
          void refreshMe();
          return;
        }
        throw err;
      }
    });
  };

  return (
    <Show when={me.data} fallback={<Loading />}>
      <Switch>
        <Match when={outcome()?.status === 'active' && outcome()}>
          {(o) => (
            <AuthLayout title="Your account is ready">
              <div class="alert alert-success" role="status" data-testid="register-active">
                <div>
                  <strong>Welcome, {o().firstName}!</strong> Your account on {me.data?.portalName} is active. You can log in now with{' '}
                  <span style={{ 'overflow-wrap': 'anywhere' }}>{o().email}</span>.
                </div>
              </div>
              <a class="btn btn-primary btn-block" href="/login" style={{ 'margin-top': 'var(--space-5)' }}>
                Log in
              </a>
            </AuthLayout>
          )}
        </Match>
        <Match when={outcome()?.status === 'unverified' && outcome()}>
          {(o) => (
            <AuthLayout title="Check your email" footer={<A href="/login">Back to log in</A>}>
              <div class="alert alert-info" role="status" data-testid="register-unverified">
                <div>
                  <p>
                    <strong>Thank you, {o().firstName}.</strong> We sent a link to <span style={{ 'overflow-wrap': 'anywhere' }}>{o().email}</span>. Open it and
                    press the button on the page to verify your address; your registration continues from there.
                  </p>
                  <p>The link works for 24 hours. If nothing arrives, check your spam folder, or log in to ask for a new link.</p>
                </div>
              </div>
            </AuthLayout>
          )}
        </Match>
        <Match when={outcome()?.status === 'pending' && outcome()}>
          {(o) => (
            <AuthLayout title="Registration submitted" footer={<A href="/login">Back to log in</A>}>
              <div class="alert alert-info" role="status" data-testid="register-pending">
                <div>
                  <p>
                    <strong>Thank you, {o().firstName}.</strong> Your registration has been submitted and must be approved by an administrator before you can
                    log in.
                  </p>
                  <p>
                    We will send an email to <span style={{ 'overflow-wrap': 'anywhere' }}>{o().email}</span> as soon as it has been reviewed.
                  </p>
                </div>
              </div>
            </AuthLayout>
          )}
        </Match>
        <Match when={signupClosed()}>
          <AuthLayout title="Registration is closed" footer={<A href="/login">Back to log in</A>}>
            <div class="alert alert-warning" role="status" data-testid="signup-disabled">
              <div>
                {me.data?.portalName} is not accepting new registrations at the moment. If you need an account, please contact the portal administrator.
              </div>
            </div>
          </AuthLayout>
        </Match>
        <Match when={true}>
          <AuthLayout
            title="Create an Account"
            subtitle={<>Register to use the APIs of {me.data?.portalName ?? 'the developer portal'}.</>}
            wide
            footer={
              <>
                Already have an account? <A href="/login">Log in</A>
              </>
            }
          >
            <form onSubmit={onSubmit} novalidate aria-describedby="register-error">
              <FormError id="register-error" message={form.formError()} />
              <div class="grid-2">
                <TextField label="First name" name="firstName" autocomplete="given-name" required maxLength={NAME_MAX} {...form.field('firstName')} />
                <TextField label="Last name" name="lastName" autocomplete="family-name" required maxLength={NAME_MAX} {...form.field('lastName')} />
              </div>
              <TextField label="Email" name="email" type="email" autocomplete="email" required {...form.field('email')} />
              <PasswordFields password={form.field('password')} confirm={form.field('confirmPassword')} maxLength={PASSWORD_MAX} />
              {custom.view()}
              {bot.view()}
              <Button type="submit" variant="primary" busy={form.busy()}>
                Register to developer portal
              </Button>
            </form>
          </AuthLayout>
        </Match>
      </Switch>
    </Show>
  );
}
