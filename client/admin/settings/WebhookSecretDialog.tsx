import { Button, Dialog, TextField, toast } from '../../ui';

/** Shows a new signing secret once (after adding an endpoint or rotating its secret). */
export function SecretDialog(props: { value: { secret: string; url: string; note?: string } | null; onClose: () => void }) {
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.value?.secret ?? '');
      toast('Secret copied', 'success');
    } catch {
      toast('Select the secret and copy it by hand', 'info');
    }
  };
  return (
    <Dialog
      open={props.value !== null}
      title="Signing secret"
      description="Shown only this once: store it in the receiver's configuration now."
      onClose={props.onClose}
      closeOnBackdrop={false}
      footer={
        <>
          <Button onClick={() => void copy()}>Copy</Button>
          <Button variant="primary" onClick={props.onClose}>
            Done
          </Button>
        </>
      }
    >
      <p class="text-sm">
        For <strong class="long-value">{props.value?.url}</strong>. Verify each request's <code>webhook-signature</code> with it (any Standard Webhooks
        library).
      </p>
      <TextField label="Secret" name="webhookSecret" id="webhook-secret" class="mono" readOnly value={props.value?.secret ?? ''} onInput={() => undefined} />
      {props.value?.note ? <p class="text-sm muted">{props.value.note}</p> : null}
    </Dialog>
  );
}
