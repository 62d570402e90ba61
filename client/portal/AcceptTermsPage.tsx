import { useSearchParams } from '@solidjs/router';
import { Show, createEffect, createResource, createSignal } from 'solid-js';
import { hardNavigate, useMe } from '../lib/session';
import { errorMessage, trpc } from '../lib/trpc';
import { Button, CheckboxField, FormError, Loading } from '../ui';
import { AuthLayout } from './AuthLayout';

/** /accept-terms: a new version of the terms must be accepted before anything else (Settings › Terms, "must re-accept"). */
export default function AcceptTermsPage() {
  const me = useMe();
  const [params] = useSearchParams();
  const [current, { refetch }] = createResource(() => trpc.auth.terms.current.query());
  const [ticked, setTicked] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  const next = () => {
    const n = typeof params.next === 'string' ? params.next : '';
    // Only paths on this site.
    if (n.startsWith('/') && !n.startsWith('//') && !n.startsWith('/accept-terms')) return n;
    return me.data?.user?.role === 'admin' ? '/admin/users' : '/home';
  };

  createEffect(() => {
    if (me.data && !me.data.user) hardNavigate('/login?next=/accept-terms');
    else if (me.data?.user?.mustChangePassword) hardNavigate('/change-password');
    else if (current() && !current()!.mustAccept) hardNavigate(next());
  });

  const onSubmit = async (e: SubmitEvent) => {
    e.preventDefault();
    const v = current()?.version;
    if (!v) return;
    if (!ticked()) {
      setError(`Please accept the ${v.title}`);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await trpc.auth.terms.accept.mutate({ versionId: v.id });
      hardNavigate(next());
    } catch (err) {
      setError(errorMessage(err));
      void refetch();
    } finally {
      setBusy(false);
    }
  };

  return (
    <Show when={current()?.mustAccept && current()?.version} fallback={<Loading />}>
      {(v) => (
        <AuthLayout title="Updated terms" subtitle={<>Please read and accept the {v().title} to continue.</>} wide>
          <form onSubmit={(e) => void onSubmit(e)} novalidate aria-describedby="accept-terms-error" data-testid="accept-terms">
            <FormError id="accept-terms-error" message={error()} />
            <Show
              when={v().url}
              fallback={
                <div
                  class="card"
                  style={{ 'white-space': 'pre-wrap', 'max-height': '20rem', overflow: 'auto', 'margin-bottom': 'var(--space-4)' }}
                  data-testid="terms-text"
                >
                  {v().body}
                </div>
              }
            >
              {(url) => (
                <p>
                  <a href={url()} target="_blank" rel="noopener noreferrer">
                    Read the {v().title}
                  </a>
                </p>
              )}
            </Show>
            <CheckboxField name="acceptTerms" required label={<>I accept the {v().title}</>} checked={ticked} onChange={setTicked} />
            <Button type="submit" variant="primary" busy={busy()}>
              Continue
            </Button>
            <p class="muted" style={{ 'margin-top': 'var(--space-4)' }}>
              <a href="/logout">Log out</a> instead.
            </p>
          </form>
        </AuthLayout>
      )}
    </Show>
  );
}
