import { useQuery, useQueryClient } from '@tanstack/solid-query';
import { Match, Show, Switch } from 'solid-js';
import { retentionSettingsSchema, type RetentionSettings } from '../../../shared/schemas/retention';
import { useUnsavedChanges } from '../../lib/unsaved';
import { createForm, type Validator } from '../../lib/form';
import { errorMessage, trpc } from '../../lib/trpc';
import { zodValidator } from '../../lib/zod-form';
import { Button, FormError, Loading, TextField, toast } from '../../ui';
import { valuesOf, versionedSettings } from '../../lib/versioned-settings';
import type { RetentionSettingsVersioned } from '../../../shared/schemas/settings-version';

const RETENTION_KEY = ['admin', 'settings', 'retention'] as const;

interface FormValues {
  mailboxRetentionDays: string;
  sentOutboxRetentionDays: string;
  /** Empty: keep forever. */
  eventRetentionDays: string;
}

const schemaValidator = zodValidator(retentionSettingsSchema);
const num = (s: string) => (s.trim() === '' ? NaN : Number(s));

const validate: Validator<FormValues, RetentionSettings> = async (v) => {
  const r = schemaValidator({
    mailboxRetentionDays: num(v.mailboxRetentionDays),
    sentOutboxRetentionDays: num(v.sentOutboxRetentionDays),
    eventRetentionDays: v.eventRetentionDays.trim() === '' ? null : num(v.eventRetentionDays),
  });
  if (r.ok) return r;
  const errors: Record<string, string> = {};
  // The first message for a field wins.
  const put = (k: string, m: string) => {
    if (!(k in errors)) errors[k] = m;
  };
  for (const [k, msg] of Object.entries(r.errors)) put(k, Number.isNaN(num(v[k as keyof FormValues])) ? 'Enter a whole number of days' : msg);
  return { ok: false, errors };
};

const toForm = (s: RetentionSettings): FormValues => ({
  mailboxRetentionDays: String(s.mailboxRetentionDays),
  sentOutboxRetentionDays: String(s.sentOutboxRetentionDays),
  eventRetentionDays: s.eventRetentionDays === null ? '' : String(s.eventRetentionDays),
});

/** Settings > General > Data retention: how long old rows are kept before the hourly purge deletes them. */
export function RetentionCard() {
  const settings = useQuery(() => ({ queryKey: RETENTION_KEY, queryFn: () => trpc.admin.settings.retention.get.query() }));
  return (
    <Switch>
      <Match when={settings.isError}>
        <FormError message={errorMessage(settings.error)} />
      </Match>
      <Match when={settings.data}>{(s) => <RetentionForm initial={s()} />}</Match>
      <Match when={true}>
        <Loading />
      </Match>
    </Switch>
  );
}

const FORM_LABELS: Record<keyof FormValues, string> = {
  mailboxRetentionDays: 'Built-in mailbox messages (days)',
  sentOutboxRetentionDays: 'Sent emails in the delivery queue (days)',
  eventRetentionDays: 'Activity history (days)',
};

function RetentionForm(props: { initial: RetentionSettingsVersioned }) {
  const queryClient = useQueryClient();
  const form = createForm(validate, toForm(valuesOf(props.initial)));
  // Each save carries the version the form was loaded with: never puts back what someone else saved meanwhile.
  const saves = versionedSettings({
    initial: props.initial,
    toForm,
    labels: FORM_LABELS,
    form,
    onCurrent: (current) => queryClient.setQueryData(RETENTION_KEY, current),
  });
  const unsaved = useUnsavedChanges(form.values);
  const onSubmit = (e: SubmitEvent) => {
    e.preventDefault();
    void form.submit(async (data) => {
      const saved = await saves.save((expectedVersion) => trpc.admin.settings.retention.update.mutate({ ...data, expectedVersion }));
      queryClient.setQueryData(RETENTION_KEY, saved);
      const next = toForm(valuesOf(saved));
      for (const k of Object.keys(next) as (keyof FormValues)[]) form.set(k, next[k]);
      unsaved.markSaved();
      toast('Retention saved', 'success');
    });
  };
  return (
    <form class="stack" novalidate onSubmit={onSubmit} aria-describedby="retention-error">
      <section class="card" aria-labelledby="retention-title">
        <div class="card-header">
          <h2 id="retention-title">Data retention</h2>
        </div>
        <FormError id="retention-error" message={form.formError()} />
        <div class="stack">
          <TextField
            label="Built-in mailbox messages (days)"
            name="mailboxRetentionDays"
            type="number"
            inputMode="numeric"
            required
            hint="Emails kept in Admin › Mailbox are deleted after this many days. Default 30."
            {...form.field('mailboxRetentionDays')}
          />
          <TextField
            label="Sent emails in the delivery queue (days)"
            name="sentOutboxRetentionDays"
            type="number"
            inputMode="numeric"
            required
            hint="Delivery records of sent emails are deleted after this many days; waiting and failed ones are kept. Default 30."
            {...form.field('sentOutboxRetentionDays')}
          />
          <TextField
            label="Activity history (days)"
            name="eventRetentionDays"
            type="number"
            inputMode="numeric"
            hint="Leave empty to keep every user's history forever (the default). Otherwise events older than this are deleted."
            {...form.field('eventRetentionDays')}
          />
        </div>
        <div class="form-actions">
          <Show when={unsaved.dirty()}>
            <span class="unsaved-note" role="status" data-testid="unsaved-changes">
              Unsaved changes
            </span>
          </Show>
          <Button type="submit" variant="primary" busy={form.busy()}>
            Save retention
          </Button>
        </div>
      </section>
    </form>
  );
}
