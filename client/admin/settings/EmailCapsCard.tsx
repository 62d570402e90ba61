import { useQuery, useQueryClient } from '@tanstack/solid-query';
import { Show } from 'solid-js';
import { mailCapSettingsSchema, type MailCapSettings } from '../../../shared/schemas/mail-safety';
import { useUnsavedChanges } from '../../lib/unsaved';
import { createForm } from '../../lib/form';
import { trpc } from '../../lib/trpc';
import { zodValidator } from '../../lib/zod-form';
import { Button, FormError, TextField, toast } from '../../ui';
import { MAIL_CAPS_KEY } from '../query-keys';

/** Settings > Emails: how many non-essential emails (notices, repeated resets) one address may receive. */
export function EmailCapsCard() {
  const caps = useQuery(() => ({ queryKey: MAIL_CAPS_KEY, queryFn: () => trpc.admin.settings.emails.caps.query() }));
  return <Show when={caps.data}>{(c) => <CapsForm caps={c()} />}</Show>;
}

function CapsForm(props: { caps: MailCapSettings }) {
  const queryClient = useQueryClient();
  const toNumbers = (v: { perRecipientPerHour: string; perRecipientPerDay: string }) => ({
    perRecipientPerHour: Number(v.perRecipientPerHour),
    perRecipientPerDay: Number(v.perRecipientPerDay),
  });
  const validate = (v: { perRecipientPerHour: string; perRecipientPerDay: string }) => zodValidator(mailCapSettingsSchema)(toNumbers(v));
  const form = createForm(validate, { perRecipientPerHour: String(props.caps.perRecipientPerHour), perRecipientPerDay: String(props.caps.perRecipientPerDay) });
  const unsaved = useUnsavedChanges(form.values);
  const onSubmit = (e: SubmitEvent) => {
    e.preventDefault();
    void form.submit(async (data) => {
      await trpc.admin.settings.emails.saveCaps.mutate(data);
      unsaved.markSaved();
      await queryClient.invalidateQueries({ queryKey: MAIL_CAPS_KEY });
      toast('Limits saved', 'success');
    });
  };
  return (
    <form class="card" novalidate onSubmit={onSubmit} aria-labelledby="caps-title" data-testid="mail-caps">
      <div class="card-header">
        <h2 id="caps-title">Emails per recipient</h2>
      </div>
      <div class="stack">
        <p class="text-sm muted">
          Notices and repeated requests (password resets, sign-up notices) to one address beyond these limits are not sent; the delivery queue shows them as
          “Not sent”. Decisions you make (activation, invitations) and notifications to admins are never held back.
        </p>
        <FormError message={form.formError()} />
        <div class="grid-2">
          <TextField label="Per hour" name="perRecipientPerHour" type="number" required {...form.field('perRecipientPerHour')} />
          <TextField label="Per day" name="perRecipientPerDay" type="number" required {...form.field('perRecipientPerDay')} />
        </div>
        <div class="form-actions start">
          <Show when={unsaved.dirty()}>
            <span class="unsaved-note" role="status" data-testid="unsaved-changes">
              Unsaved changes
            </span>
          </Show>
          <Button type="submit" variant="primary" busy={form.busy()}>
            Save limits
          </Button>
        </div>
      </div>
    </form>
  );
}
