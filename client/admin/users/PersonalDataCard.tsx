import { useQueryClient } from '@tanstack/solid-query';
import { Show, createSignal } from 'solid-js';
import { FORGET_CONFIRMATION } from '../../../shared/schemas/audit';
import { errorMessage, trpc } from '../../lib/trpc';
import { Button, Dialog, FormError, TextField, toast } from '../../ui';
import { AUDIT_KEY, STATS_KEY, userKey, userTimelineKey } from '../query-keys';

/** Saves a JSON document as a file download (the browser's own save, no server round trip). */
function downloadJson(name: string, value: unknown) {
  const url = URL.createObjectURL(new Blob([JSON.stringify(value, null, 2)], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * A person's data (GDPR): Export for an access request, Forget for an erasure request. Shown on a
 * user's page, and on the page of a deleted user (whose history and emails remain).
 */
export function PersonalDataCard(props: { userId: string; name: string; forgotten?: boolean }) {
  const queryClient = useQueryClient();
  const [exporting, setExporting] = createSignal(false);
  const [exportError, setExportError] = createSignal<string | null>(null);
  const [forgetOpen, setForgetOpen] = createSignal(false);

  const exportData = async () => {
    setExporting(true);
    setExportError(null);
    try {
      const data = await trpc.admin.privacy.exportPerson.query({ userId: props.userId });
      downloadJson(`personal-data-${props.userId}.json`, data);
    } catch (e: unknown) {
      setExportError(errorMessage(e));
    } finally {
      setExporting(false);
    }
  };

  async function afterForget() {
    setForgetOpen(false);
    toast('Personal data erased');
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: userKey(props.userId) }),
      queryClient.invalidateQueries({ queryKey: userTimelineKey(props.userId) }),
      queryClient.invalidateQueries({ queryKey: AUDIT_KEY }),
      queryClient.invalidateQueries({ queryKey: STATS_KEY }),
    ]);
  }

  return (
    <section class="card" aria-labelledby="personal-data-title" data-testid="personal-data">
      <div class="card-header">
        <h2 id="personal-data-title">Personal data</h2>
      </div>
      <p class="muted">
        For a request from this person under data-protection law: <strong>Export</strong> downloads everything Admit holds about them as JSON (profile, sign-up
        answers, organisation, terms acceptances, sessions, history, emails). <strong>Forget</strong> erases their email address, names, IP addresses and user
        agents everywhere and cannot be undone; the history stays, without them.
      </p>
      <FormError message={exportError()} />
      <div class="page-actions">
        <Button onClick={() => void exportData()} busy={exporting()} data-testid="export-personal-data">
          Export data (JSON)
        </Button>
        <Button variant="danger" onClick={() => setForgetOpen(true)} data-testid="forget-person">
          {props.forgotten ? 'Forget again…' : 'Forget this person…'}
        </Button>
      </div>
      <ForgetDialog open={forgetOpen()} userId={props.userId} name={props.name} onClose={() => setForgetOpen(false)} onDone={afterForget} />
    </section>
  );
}

function ForgetDialog(props: { open: boolean; userId: string; name: string; onClose: () => void; onDone: () => Promise<void> }) {
  const [typed, setTyped] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);
  const confirmed = () => typed().trim() === FORGET_CONFIRMATION;

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!confirmed()) return;
    setBusy(true);
    setError(null);
    try {
      await trpc.admin.privacy.forget.mutate({ userId: props.userId, confirmation: typed() });
      setTyped('');
      await props.onDone();
    } catch (err: unknown) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog
      open={props.open}
      title={`Forget ${props.name}?`}
      onClose={props.onClose}
      footer={
        <>
          <Button variant="ghost" onClick={props.onClose}>
            Cancel
          </Button>
          <Button variant="danger" type="submit" form="forget-form" disabled={!confirmed()} busy={busy()}>
            Forget permanently
          </Button>
        </>
      }
    >
      <form id="forget-form" class="stack" onSubmit={(e) => void submit(e)}>
        <p>
          Their email address, names, sign-up answers, IP addresses and user agents are erased from the account, its history, terms evidence, emails, the
          mailbox, sessions and webhook deliveries. The account, if it still exists, stays as an inactive “Forgotten person” that cannot log in; the history
          keeps what happened and when. <strong>This cannot be undone.</strong>
        </p>
        <Show when={error()}>
          <FormError message={error()} />
        </Show>
        <TextField
          label={`Type ${FORGET_CONFIRMATION} to confirm`}
          name="confirmation"
          value={typed}
          onInput={setTyped}
          autocomplete="off"
          autofocus
          required
        />
      </form>
    </Dialog>
  );
}
