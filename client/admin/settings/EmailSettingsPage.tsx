import { useQuery, useQueryClient } from '@tanstack/solid-query';
import { Match, Show, Switch } from 'solid-js';
import { mailSenderSettingsSchema, type MailSenderSettings } from '../../../shared/schemas/settings';
import type { EmailSettingsOutput } from '../../../shared/schemas/mail';
import { createForm } from '../../lib/form';
import { errorMessage, trpc } from '../../lib/trpc';
import { useUnsavedChanges } from '../../lib/unsaved';
import { zodValidator } from '../../lib/zod-form';
import { Button, FormError, TextField, toast, Loading } from '../../ui';
import { EMAIL_SETTINGS_KEY } from '../query-keys';
import { EmailTemplatesCard } from './EmailTemplatesCard';
import { EmailCapsCard } from './EmailCapsCard';
import { versionedSettings } from '../../lib/versioned-settings';

/** Settings > Emails: the sender, and each email's subject and main text with a live preview. */
export default function EmailSettingsPage() {
  const settings = useQuery(() => ({ queryKey: EMAIL_SETTINGS_KEY, queryFn: () => trpc.admin.settings.emails.get.query() }));
  return (
    <Switch>
      <Match when={settings.isError}>
        <FormError message={errorMessage(settings.error)} />
      </Match>
      <Match when={settings.data}>
        {(s) => (
          <div class="stack">
            <SenderCard settings={s()} />
            <EmailTemplatesCard settings={s()} />
            <EmailCapsCard />
          </div>
        )}
      </Match>
      <Match when={true}>
        <Loading />
      </Match>
    </Switch>
  );
}

const SENDER_LABELS: Record<keyof MailSenderSettings, string> = { mailFromName: 'Sender name', mailFromAddress: 'Sender address' };
const senderForm = (s: MailSenderSettings): MailSenderSettings => ({ mailFromName: s.mailFromName, mailFromAddress: s.mailFromAddress });

function SenderCard(props: { settings: EmailSettingsOutput }) {
  const queryClient = useQueryClient();
  const form = createForm(zodValidator(mailSenderSettingsSchema), senderForm(props.settings.sender));
  // Each save carries the version the form was loaded with: never puts back what someone else saved meanwhile.
  const saves = versionedSettings({
    initial: { ...senderForm(props.settings.sender), version: props.settings.sender.version },
    toForm: senderForm,
    labels: SENDER_LABELS,
    form,
    onCurrent: () => void queryClient.invalidateQueries({ queryKey: EMAIL_SETTINGS_KEY }),
  });
  const unsaved = useUnsavedChanges(form.values);
  const onSubmit = (e: SubmitEvent) => {
    e.preventDefault();
    void form.submit(async (data) => {
      await saves.save((expectedVersion) => trpc.admin.settings.emails.saveSender.mutate({ ...data, expectedVersion }));
      unsaved.markSaved();
      await queryClient.invalidateQueries({ queryKey: EMAIL_SETTINGS_KEY });
      toast('Sender saved', 'success');
    });
  };
  return (
    <form class="card" novalidate onSubmit={onSubmit} aria-labelledby="sender-title">
      <div class="card-header">
        <h2 id="sender-title">Sender</h2>
      </div>
      <div class="stack">
        <FormError message={form.formError()} />
        <div class="grid-2">
          <TextField
            label="Sender name"
            name="mailFromName"
            maxLength={80}
            hint="Leave empty to use the name in MAIL_FROM, or the portal's name."
            {...form.field('mailFromName')}
          />
          <TextField
            label="Sender address"
            name="mailFromAddress"
            type="email"
            maxLength={254}
            placeholder="no-reply@example.com"
            hint="Leave empty to use the address in MAIL_FROM. Your mail server must accept it as a sender."
            {...form.field('mailFromAddress')}
          />
        </div>
        <p class="text-sm muted" data-testid="effective-from">
          Emails are sent as <strong>{props.settings.sender.effectiveFrom}</strong>
          {props.settings.transport === 'smtp' ? ' through your SMTP server.' : ' into the built-in mailbox (no SMTP server is configured).'}
        </p>
        <div class="form-actions start">
          <Show when={unsaved.dirty()}>
            <span class="unsaved-note" role="status" data-testid="unsaved-changes">
              Unsaved changes
            </span>
          </Show>
          <Button type="submit" variant="primary" busy={form.busy()}>
            Save sender
          </Button>
        </div>
      </div>
    </form>
  );
}
