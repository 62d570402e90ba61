import { createSignal } from 'solid-js';
import { render } from 'solid-js/web';
import { Button, Dialog, FormError, TextField } from '../ui';
import { errorMessage, fieldErrors, trpc } from './trpc';

/**
 * The password prompt of client/lib/reauth.ts, mounted on its own root while it is open (it may be
 * needed on any admin page, so it lives outside the page tree). Resolves true once
 * auth.confirmPassword accepted the password, false when closed.
 */
export function promptForPassword(): Promise<boolean> {
  return new Promise((resolve) => {
    const host = document.createElement('div');
    document.body.appendChild(host);
    let dispose: (() => void) | null = null;
    const finish = (ok: boolean) => {
      dispose?.();
      host.remove();
      resolve(ok);
    };
    dispose = render(() => <ReauthDialog onDone={finish} />, host);
  });
}

function ReauthDialog(props: { onDone: (ok: boolean) => void }) {
  const [password, setPassword] = createSignal('');
  const [error, setError] = createSignal<string | undefined>();
  const [formError, setFormError] = createSignal<string | undefined>();
  const [busy, setBusy] = createSignal(false);
  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    if (!password()) {
      setError('Password is required');
      return;
    }
    setBusy(true);
    setError(undefined);
    setFormError(undefined);
    try {
      await trpc.auth.confirmPassword.mutate({ password: password() });
      props.onDone(true);
    } catch (err) {
      const fields = fieldErrors(err);
      if (fields.password) setError(fields.password);
      else setFormError(errorMessage(err));
      setPassword('');
      setBusy(false);
    }
  };
  return (
    <Dialog
      open
      title="Confirm your password"
      description="This change needs your password again: you last entered it more than 10 minutes ago."
      onClose={() => props.onDone(false)}
      closeOnBackdrop={false}
    >
      <form class="stack" novalidate onSubmit={(e) => void submit(e)} data-testid="reauth-form">
        <FormError message={formError()} />
        <TextField
          label="Password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
          autofocus
          value={password}
          onInput={setPassword}
          error={error()}
        />
        <div class="dialog-footer">
          <Button onClick={() => props.onDone(false)}>Cancel</Button>
          <Button type="submit" variant="primary" busy={busy()}>
            Confirm
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
