import { A } from '@solidjs/router';
import { Match, Show, Switch, createResource, createSignal } from 'solid-js';
import { NAME_MAX, PASSWORD_MAX } from '../../shared/constants';
import type { AcceptInviteInput, InviteInspectOutput } from '../../shared/schemas/invites';
import type { ErrorReason } from '../../shared/errors';
import { createForm, lazyValidator } from '../lib/form';
import { hardNavigate, useMe } from '../lib/session';
import { takeLinkToken } from '../lib/link-token';
import { errorCode, errorMessage, errorReason, trpc } from '../lib/trpc';
import { Button, FormError, PasswordFields, TextField, formatDate, Loading } from '../ui';
import { AuthLayout } from './AuthLayout';
import { createBotCheck, whenReady } from './BotCheck';
import { createCustomFields } from './CustomFields';

const LINK_REASONS: ErrorReason[] = ['TOKEN_EXPIRED', 'TOKEN_USED', 'TOKEN_REVOKED', 'TOKEN_INVALID'];

const INCOMPLETE_LINK =
  'This invitation link is incomplete. Open the link from the invitation email again, or ask the portal administrator for a new invitation.';
const GARBLED_LINK =
  'This invitation link is damaged: part of it is missing or was changed. Open the link from the invitation email again (copy all of it), or ask the portal administrator for a new invitation.';

const TITLES: Partial<Record<ErrorReason, string>> = {
  TOKEN_EXPIRED: 'This invitation has expired',
  TOKEN_USED: 'This invitation was already used',
  TOKEN_REVOKED: 'This invitation is no longer valid',
  TOKEN_INVALID: 'Invalid invitation link',
};

/**
 * /invite#token=<token> (links mailed earlier: /register?invite=<token>): the registration form
 * for an invitee, prefilled and locked to the invited email. Setting a password accepts the invite
 * and logs the invitee in. The token is taken from the URL once and removed from the address bar.
 */
export default function AcceptInvitePage(props: { token?: string }) {
  const token = takeLinkToken('token', 'invite') || props.token || '';
  const me = useMe();
  const [linkError, setLinkError] = createSignal<{ reason: ErrorReason | undefined; message: string } | null>(null);
  const [invite] = createResource(async (): Promise<InviteInspectOutput | null> => {
    if (!token) {
      setLinkError({ reason: 'TOKEN_INVALID', message: INCOMPLETE_LINK });
      return null;
    }
    try {
      return await trpc.invite.inspect.mutate({ token });
    } catch (e) {
      // A token that is not even shaped like one (cut or altered when copied) is refused as input:
      // say what is wrong with the link, not "correct the highlighted fields" with no field to see.
      const garbled = !errorReason(e) && errorCode(e) === 'BAD_REQUEST';
      setLinkError(garbled ? { reason: 'TOKEN_INVALID', message: GARBLED_LINK } : { reason: errorReason(e), message: errorMessage(e) });
      return null;
    }
  });

  return (
    <Switch fallback={<Loading />}>
      <Match when={linkError()}>
        {(err) => (
          <AuthLayout title={(err().reason && TITLES[err().reason!]) ?? 'This invitation cannot be used'} footer={<A href="/login">Go to log in</A>}>
            <div
              class={`alert ${err().reason === 'TOKEN_USED' ? 'alert-info' : 'alert-warning'}`}
              role="alert"
              data-testid="invite-link-error"
              data-reason={err().reason}
            >
              <div>{err().message}</div>
            </div>
            <Show when={err().reason === 'TOKEN_USED'}>
              <a class="btn btn-primary btn-block" href="/login" style={{ 'margin-top': 'var(--space-5)' }}>
                Log in
              </a>
            </Show>
          </AuthLayout>
        )}
      </Match>
      <Match when={invite()}>{(info) => <AcceptForm token={token} info={info()} portalName={me.data?.portalName} onLinkError={setLinkError} />}</Match>
    </Switch>
  );
}

interface AcceptValues {
  firstName: string;
  lastName: string;
  password: string;
  confirmPassword: string;
}

function AcceptForm(props: {
  token: string;
  info: InviteInspectOutput;
  portalName: string | undefined;
  onLinkError: (e: { reason: ErrorReason | undefined; message: string }) => void;
}) {
  // The procedure's schema with the link's token, loaded at the first keystroke (zod stays out of the landing).
  const validate = lazyValidator<AcceptValues, AcceptInviteInput>(() =>
    Promise.all([import('../../shared/schemas/invites'), import('../lib/zod-form')]).then(([s, f]) => {
      const check = f.zodValidator(s.acceptInviteInput);
      return (v: AcceptValues) => check({ ...v, token: props.token });
    }),
  );
  const form = createForm(validate, { firstName: props.info.firstName, lastName: props.info.lastName, password: '', confirmPassword: '' });
  const bot = createBotCheck('invite');
  // The terms box, when terms are published (CustomFields.tsx).
  const custom = createCustomFields({ termsOnly: true });

  const onSubmit = (e: SubmitEvent) => {
    e.preventDefault();
    const extras = custom.collect();
    void form.submit(async (data) => {
      const extra = await extras;
      if (!extra) return;
      try {
        await whenReady(bot);
        await trpc.invite.accept.mutate({ ...data, acceptTerms: extra.acceptTerms, bot: bot.fields() });
      } catch (err) {
        custom.serverError(err);
        bot.reload();
        const reason = errorReason(err);
        if (reason && LINK_REASONS.includes(reason)) {
          props.onLinkError({ reason, message: errorMessage(err) });
          return;
        }
        throw err;
      }
      // Logged in now (the answer set the session cookie): a fresh start on the portal.
      hardNavigate('/');
    });
  };

  return (
    <AuthLayout
      title="Create an Account"
      subtitle={<>You have been invited to {props.portalName ?? 'the developer portal'}. Choose a password to finish your account.</>}
      wide
      footer={
        <>
          Already set up? <A href="/login">Log in</A>
        </>
      }
    >
      <form onSubmit={onSubmit} novalidate aria-describedby="accept-error" data-testid="accept-invite-form">
        <FormError id="accept-error" message={form.formError()} />
        <div class="grid-2">
          <TextField label="First name" name="firstName" autocomplete="given-name" required maxLength={NAME_MAX} {...form.field('firstName')} />
          <TextField label="Last name" name="lastName" autocomplete="family-name" required maxLength={NAME_MAX} {...form.field('lastName')} />
        </div>
        <TextField
          label="Email"
          name="email"
          type="email"
          autocomplete="username"
          readOnly
          required
          value={props.info.email}
          onInput={() => undefined}
          hint="Your invitation is for this address."
        />
        <PasswordFields autofocus password={form.field('password')} confirm={form.field('confirmPassword')} maxLength={PASSWORD_MAX} />
        <p class="text-sm muted">This invitation link works once and expires on {formatDate(props.info.expiresAt)}.</p>
        {custom.view()}
        {bot.view()}
        <Button type="submit" variant="primary" busy={form.busy()}>
          Accept invitation
        </Button>
      </form>
    </AuthLayout>
  );
}
