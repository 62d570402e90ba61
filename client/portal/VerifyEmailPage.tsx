import { A } from '@solidjs/router';
import { Match, Switch, createResource, createSignal } from 'solid-js';
import { hardNavigate } from '../lib/session';
import { takeLinkToken } from '../lib/link-token';
import { errorMessage, trpc } from '../lib/trpc';
import { Button, Loading } from '../ui';
import { AuthLayout } from './AuthLayout';

const wellFormed = (t: string) => /^[A-Za-z0-9_-]{16,128}$/.test(t);

/**
 * /verify-email#token=…: opening the link verifies nothing (mail scanners fetch links); the page
 * checks the link, then the owner presses the button, which sends the mutation. An auto-approved
 * account is signed in at once; otherwise the page says an administrator reviews it next.
 */
export default function VerifyEmailPage() {
  const token = takeLinkToken('token');
  const [refusal, setRefusal] = createSignal<string | null>(
    wellFormed(token) ? null : 'This verification link is incomplete. Make sure you copied the whole link from the email.',
  );
  const [result, setResult] = createSignal<'active' | 'pending' | null>(null);
  const [busy, setBusy] = createSignal(false);
  const [check] = createResource(
    () => (refusal() === null ? token : false),
    (t) =>
      trpc.auth.verifyEmail.check.mutate({ token: t }).catch((err: unknown) => {
        setRefusal(errorMessage(err));
        return null;
      }),
  );

  const verify = async () => {
    setBusy(true);
    try {
      const r = await trpc.auth.verifyEmail.confirm.mutate({ token });
      if (r.signedIn) return hardNavigate('/');
      setResult(r.status);
    } catch (err) {
      setRefusal(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Switch fallback={<Loading>Checking your link…</Loading>}>
      <Match when={result() === 'pending'}>
        <AuthLayout title="Email address verified" footer={<A href="/login">Back to log in</A>}>
          <div class="alert alert-success" role="status" data-testid="verify-pending">
            Thank you: your address is verified. An administrator will now review your registration, and we will email you as soon as it has been reviewed.
          </div>
        </AuthLayout>
      </Match>
      <Match when={refusal()}>
        {(message) => (
          <AuthLayout title="This link cannot be used" footer={<A href="/login">Back to log in</A>}>
            <div class="alert alert-error" role="alert" data-testid="verify-refused">
              {message()}
            </div>
          </AuthLayout>
        )}
      </Match>
      <Match when={check()}>
        {(info) => (
          <AuthLayout title="Verify your email address" subtitle={<>For {info().email}</>}>
            <p>Press the button to confirm that this address is yours.</p>
            <Button variant="primary" class="btn-block" busy={busy()} onClick={() => void verify()} data-testid="verify-button">
              Verify my email address
            </Button>
          </AuthLayout>
        )}
      </Match>
    </Switch>
  );
}
