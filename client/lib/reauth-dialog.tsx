import { createSignal } from 'solid-js';
import { render } from 'solid-js/web';
// Straight from the component files, not ../ui: its index reaches the tRPC client, which loads this file.
import { Button } from '../ui/Button';
import { Dialog } from '../ui/Dialog';
import { TextField } from '../ui/Field';
import { FormError } from '../ui/FormError';

/** Sends the password to auth.confirmPassword: null when accepted, else the message for the password field or the form. */
export type ConfirmPassword = (password: string) => Promise<{ field?: string; form?: string } | null>;

/**
 * The password prompt of client/lib/reauth.ts, mounted on its own root while it is open (it may be
 * needed on any admin page, so it lives outside the page tree). Resolves true once
 * auth.confirmPassword accepted the password, false when closed.
 */
export function promptForPassword(confirm: ConfirmPassword): Promise<boolean> {
  return new Promise((resolve) => {
    const host = document.createElement('div');
    document.body.appendChild(host);
    let dispose: (() => void) | null = null;
    const finish = (ok: boolean) => {
      dispose?.();
      host.remove();
      resolve(ok);
    };
    dispose = render(() => <ReauthDialog confirm={confirm} onDone={finish} />, host);
  });
}

function ReauthDialog(props: { confirm: ConfirmPassword; onDone: (ok: boolean) => void }) {
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
    const refused = await props.confirm(password());
    if (!refused) {
      props.onDone(true);
      return;
    }
    if (refused.field) setError(refused.field);
    else setFormError(refused.form);
    setPassword('');
    setBusy(false);
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
