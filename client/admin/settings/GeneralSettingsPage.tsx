import { useQuery, useQueryClient } from '@tanstack/solid-query';
import { Match, Show, Switch } from 'solid-js';
import { generalSettingsSchema, type GeneralSettings, type GeneralSettingsVersioned } from '../../../shared/schemas/settings';
import { createForm, type Validator } from '../../lib/form';
import { useUnsavedChanges } from '../../lib/unsaved';
import { refreshMe } from '../../lib/session';
import { errorMessage, trpc } from '../../lib/trpc';
import { valuesOf, versionedSettings } from '../../lib/versioned-settings';
import { zodValidator } from '../../lib/zod-form';
import { Button, CheckboxField, FormError, TextAreaField, TextField, toast, Loading } from '../../ui';
import { GENERAL_SETTINGS_KEY } from '../query-keys';
import { RetentionCard } from './RetentionCard';

interface FormValues {
  portalName: string;
  autoApprove: boolean;
  signupEnabled: boolean;
  /** One domain per line, as typed. */
  domainsText: string;
  inviteLifetimeDays: string;
  requireEmailVerification: boolean;
  unverifiedLifetimeDays: string;
}

const domainLines = (text: string) =>
  text
    .split(/[\n,]+/)
    .map((l) => l.trim())
    .filter(Boolean);

const schemaValidator = zodValidator(generalSettingsSchema);

/** The shared schema, applied to the form's text fields; a bad domain is reported with its line. */
const validate: Validator<FormValues, GeneralSettings> = (v) => {
  const domains = domainLines(v.domainsText);
  const days = v.inviteLifetimeDays.trim() === '' ? NaN : Number(v.inviteLifetimeDays);
  const unverifiedDays = v.unverifiedLifetimeDays.trim() === '' ? NaN : Number(v.unverifiedLifetimeDays);
  const r = schemaValidator({
    portalName: v.portalName,
    autoApprove: v.autoApprove,
    signupEnabled: v.signupEnabled,
    autoApproveDomains: domains,
    inviteLifetimeDays: days,
    requireEmailVerification: v.requireEmailVerification,
    unverifiedLifetimeDays: unverifiedDays,
  });
  if (r.ok) return r;
  const errors: Record<string, string> = {};
  // The first message for a field wins.
  const put = (k: string, m: string) => {
    if (!(k in errors)) errors[k] = m;
  };
  for (const [k, msg] of Object.entries(r.errors)) {
    const m = /^autoApproveDomains\.(\d+)$/.exec(k);
    if (m) put('domainsText', `"${domains[Number(m[1])]}": ${msg}`);
    else if (k === 'autoApproveDomains') put('domainsText', msg);
    else if (k === 'inviteLifetimeDays') put('inviteLifetimeDays', Number.isNaN(days) ? 'Enter a number of days' : msg);
    else if (k === 'unverifiedLifetimeDays') put('unverifiedLifetimeDays', Number.isNaN(unverifiedDays) ? 'Enter a number of days' : msg);
    else put(k, msg);
  }
  return { ok: false, errors };
};

function toForm(s: GeneralSettings): FormValues {
  return {
    portalName: s.portalName,
    autoApprove: s.autoApprove,
    signupEnabled: s.signupEnabled,
    domainsText: s.autoApproveDomains.join('\n'),
    inviteLifetimeDays: String(s.inviteLifetimeDays),
    requireEmailVerification: s.requireEmailVerification,
    unverifiedLifetimeDays: String(s.unverifiedLifetimeDays),
  };
}

/** Settings > General: the portal's name and registration policy. */
export default function GeneralSettingsPage() {
  const settings = useQuery(() => ({ queryKey: GENERAL_SETTINGS_KEY, queryFn: () => trpc.admin.settings.general.get.query() }));
  return (
    <Switch>
      <Match when={settings.isError}>
        <FormError message={errorMessage(settings.error)} />
      </Match>
      <Match when={settings.data}>
        {(s) => (
          <div class="stack">
            <GeneralSettingsForm initial={s()} />
            <RetentionCard />
          </div>
        )}
      </Match>
      <Match when={true}>
        <Loading />
      </Match>
    </Switch>
  );
}

const FORM_LABELS: Record<keyof FormValues, string> = {
  portalName: 'Portal name',
  autoApprove: 'Auto approve developer registration requests',
  signupEnabled: 'Allow developers to sign up',
  domainsText: 'Auto-approve email domains',
  inviteLifetimeDays: 'Invite lifetime (days)',
  requireEmailVerification: 'Require email verification',
  unverifiedLifetimeDays: 'Unverified registrations expire after (days)',
};

function GeneralSettingsForm(props: { initial: GeneralSettingsVersioned }) {
  const queryClient = useQueryClient();
  const form = createForm(validate, toForm(valuesOf(props.initial)));
  // Each save carries the version the form was loaded with: never puts back what someone else saved meanwhile.
  const saves = versionedSettings({
    initial: props.initial,
    toForm,
    labels: FORM_LABELS,
    form,
    onCurrent: (current) => queryClient.setQueryData(GENERAL_SETTINGS_KEY, current),
  });
  // The switches look instant but only "Save settings" keeps them: the page says so and asks before leaving.
  const unsaved = useUnsavedChanges(form.values);
  // Server field errors come back as autoApproveDomains.N; show them on the text area.
  const domainsError = () => form.error('domainsText') ?? Object.entries(form.errors()).find(([k]) => k.startsWith('autoApproveDomains'))?.[1];

  const onSubmit = (e: SubmitEvent) => {
    e.preventDefault();
    void form.submit(async (data) => {
      const saved = await saves.save((expectedVersion) => trpc.admin.settings.general.update.mutate({ ...data, expectedVersion }));
      queryClient.setQueryData(GENERAL_SETTINGS_KEY, saved);
      for (const [k, v] of Object.entries(toForm(valuesOf(saved)))) form.set(k as keyof FormValues, v as never);
      unsaved.markSaved();
      void refreshMe(); // the portal name and sign-up switch are public
      toast('Settings saved', 'success');
    });
  };

  return (
    <form class="stack" novalidate onSubmit={onSubmit} aria-describedby="general-settings-error">
      <FormError id="general-settings-error" message={form.formError()} />
      <section class="card" aria-labelledby="portal-title">
        <div class="card-header">
          <h2 id="portal-title">Portal</h2>
        </div>
        <TextField
          label="Portal name"
          name="portalName"
          required
          maxLength={80}
          hint="Shown on the portal's pages and in every email."
          {...form.field('portalName')}
        />
      </section>

      <section class="card" aria-labelledby="registration-title">
        <div class="card-header">
          <h2 id="registration-title">Registration</h2>
        </div>
        <div class="stack">
          <CheckboxField
            variant="switch"
            label="Allow developers to sign up"
            name="signupEnabled"
            hint="When off, the registration form is replaced by a notice and new registrations are refused."
            checked={() => form.values().signupEnabled}
            onChange={(v) => form.set('signupEnabled', v)}
            error={form.error('signupEnabled')}
          />
          <CheckboxField
            variant="switch"
            label="Auto approve developer registration requests"
            name="autoApprove"
            hint="When on, new developers can log in as soon as they register. When off, an administrator approves each registration."
            checked={() => form.values().autoApprove}
            onChange={(v) => form.set('autoApprove', v)}
            error={form.error('autoApprove')}
          />
          <CheckboxField
            variant="switch"
            label="Require email verification"
            name="requireEmailVerification"
            hint="When on, a new registration stays unverified until its owner follows the link emailed to them; only then is it approved (auto approve or a listed domain) or queued for an administrator."
            checked={() => form.values().requireEmailVerification}
            onChange={(v) => form.set('requireEmailVerification', v)}
            error={form.error('requireEmailVerification')}
          />
          <TextField
            label="Unverified registrations expire after (days)"
            name="unverifiedLifetimeDays"
            type="number"
            inputMode="numeric"
            required
            hint="Registrations whose address was not verified in time are deleted: 1 to 90 days."
            {...form.field('unverifiedLifetimeDays')}
          />
          <TextAreaField
            label="Auto-approve email domains"
            name="autoApproveDomains"
            rows={4}
            placeholder={'example.com\npartner.example.org'}
            hint="One domain per line. Registrations with an address at exactly one of these domains are approved at once (after verification, when required), even when auto approve is off. Subdomains are not included."
            value={() => form.values().domainsText}
            onInput={(v) => form.set('domainsText', v)}
            error={domainsError()}
          />
        </div>
      </section>

      <section class="card" aria-labelledby="invites-title">
        <div class="card-header">
          <h2 id="invites-title">Invitations</h2>
        </div>
        <TextField
          label="Invite lifetime (days)"
          name="inviteLifetimeDays"
          type="number"
          inputMode="numeric"
          required
          hint="How long an invitation link stays valid: 1 to 90 days."
          {...form.field('inviteLifetimeDays')}
        />
      </section>

      <div class="form-actions">
        <Show when={unsaved.dirty()}>
          <span class="unsaved-note" role="status" data-testid="unsaved-changes">
            Unsaved changes
          </span>
        </Show>
        <Button type="submit" variant="primary" busy={form.busy()}>
          Save settings
        </Button>
      </div>
    </form>
  );
}
