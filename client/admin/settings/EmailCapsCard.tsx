import { useQuery, useQueryClient } from '@tanstack/solid-query';
import { Show } from 'solid-js';
import { mailCapSettingsSchema, type MailCapSettings } from '../../../shared/schemas/mail-safety';
import { useUnsavedChanges } from '../../lib/unsaved';
import { createForm } from '../../lib/form';
import { trpc } from '../../lib/trpc';
import { zodValidator } from '../../lib/zod-form';
import { Button, FormError, TextField, toast } from '../../ui';
import { MAIL_CAPS_KEY } from '../query-keys';
import { valuesOf, versionedSettings } from '../../lib/versioned-settings';
import type { MailCapSettingsVersioned } from '../../../shared/schemas/settings-version';

/** Settings > Emails: how many non-essential emails (notices, repeated resets) one address may receive. */
export function EmailCapsCard() {
  const caps = useQuery(() => ({ queryKey: MAIL_CAPS_KEY, queryFn: () => trpc.admin.settings.emails.caps.query() }));
  return <Show when={caps.data}>{(c) => <CapsForm caps={c()} />}</Show>;
}

interface FormValues {
  perRecipientPerHour: string;
  perRecipientPerDay: string;
}
const FORM_LABELS: Record<keyof FormValues, string> = { perRecipientPerHour: 'Per hour', perRecipientPerDay: 'Per day' };
const toForm = (c: MailCapSettings): FormValues => ({ perRecipientPerHour: String(c.perRecipientPerHour), perRecipientPerDay: String(c.perRecipientPerDay) });

function CapsForm(props: { caps: MailCapSettingsVersioned }) {
  const queryClient = useQueryClient();
  const toNumbers = (v: FormValues) => ({
    perRecipientPerHour: Number(v.perRecipientPerHour),
    perRecipientPerDay: Number(v.perRecipientPerDay),
  });
  const validate = (v: FormValues) => zodValidator(mailCapSettingsSchema)(toNumbers(v));
  const form = createForm(validate, toForm(valuesOf(props.caps)));
  // Each save carries the version the form was loaded with: never puts back what someone else saved meanwhile.
  const saves = versionedSettings({
    initial: props.caps,
    toForm,
    labels: FORM_LABELS,
    form,
    onCurrent: (current) => queryClient.setQueryData(MAIL_CAPS_KEY, current),
  });
  const unsaved = useUnsavedChanges(form.values);
  const onSubmit = (e: SubmitEvent) => {
    e.preventDefault();
    void form.submit(async (data) => {
      const saved = await saves.save((expectedVersion) => trpc.admin.settings.emails.saveCaps.mutate({ ...data, expectedVersion }));
      queryClient.setQueryData(MAIL_CAPS_KEY, saved);
      unsaved.markSaved();
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
