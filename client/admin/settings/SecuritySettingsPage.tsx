import { useQuery, useQueryClient } from '@tanstack/solid-query';
import { Match, Show, Switch } from 'solid-js';
import { securitySettingsSchema, type SecuritySettings } from '../../../shared/schemas/security';
import { createForm, type Validator } from '../../lib/form';
import { useUnsavedChanges } from '../../lib/unsaved';
import { errorMessage, trpc } from '../../lib/trpc';
import { zodValidator } from '../../lib/zod-form';
import { Button, CheckboxField, FormError, SelectField, TextAreaField, TextField, toast, Loading } from '../../ui';
import { valuesOf, versionedSettings } from '../../lib/versioned-settings';
import type { SecuritySettingsVersioned } from '../../../shared/schemas/settings-version';

const SECURITY_SETTINGS_KEY = ['admin', 'settings', 'security'] as const;

const NUMBER_FIELDS = [
  'powMaxNumber',
  'minSubmitSeconds',
  'loginFailuresPerIp',
  'loginFailureWindowMinutes',
  'loginFailuresPerAccount',
  'loginFailureResetHours',
  'loginPowFactor',
] as const;
type NumberField = (typeof NUMBER_FIELDS)[number];

type FormValues = Omit<SecuritySettings, NumberField | 'blockedEmailDomains'> & Record<NumberField, string> & { domainsText: string };

const lines = (text: string) =>
  text
    .split(/[\n,]+/)
    .map((l) => l.trim())
    .filter(Boolean);

const schemaValidator = zodValidator(securitySettingsSchema);

const validate: Validator<FormValues, SecuritySettings> = (v) => {
  const domains = lines(v.domainsText);
  const numbers = Object.fromEntries(NUMBER_FIELDS.map((k) => [k, v[k].trim() === '' ? NaN : Number(v[k])])) as Record<NumberField, number>;
  const r = schemaValidator({
    powEnabled: v.powEnabled,
    honeypotEnabled: v.honeypotEnabled,
    disposableEmails: v.disposableEmails,
    ...numbers,
    blockedEmailDomains: domains,
  });
  if (r.ok) return r;
  const errors: Record<string, string> = {};
  // The first message for a field wins.
  const put = (k: string, m: string) => {
    if (!(k in errors)) errors[k] = m;
  };
  for (const [k, msg] of Object.entries(r.errors)) {
    const m = /^blockedEmailDomains\.(\d+)$/.exec(k);
    if (m) put('domainsText', `"${domains[Number(m[1])]}": ${msg}`);
    else if (k === 'blockedEmailDomains') put('domainsText', msg);
    else put(k, k in numbers && Number.isNaN(numbers[k as NumberField]) ? 'Enter a number' : msg);
  }
  return { ok: false, errors };
};

function toForm(s: SecuritySettings): FormValues {
  const { blockedEmailDomains, ...rest } = s;
  return {
    ...rest,
    ...(Object.fromEntries(NUMBER_FIELDS.map((k) => [k, String(s[k])])) as Record<NumberField, string>),
    domainsText: blockedEmailDomains.join('\n'),
  };
}

/** Settings > Security: bot protection on public forms, email domains, login lockouts. */
export default function SecuritySettingsPage() {
  const settings = useQuery(() => ({ queryKey: SECURITY_SETTINGS_KEY, queryFn: () => trpc.admin.settings.security.get.query() }));
  return (
    <Switch>
      <Match when={settings.isError}>
        <FormError message={errorMessage(settings.error)} />
      </Match>
      <Match when={settings.data}>{(s) => <SecuritySettingsForm initial={s()} />}</Match>
      <Match when={true}>
        <Loading />
      </Match>
    </Switch>
  );
}

const FORM_LABELS: Record<keyof FormValues, string> = {
  powEnabled: 'Proof-of-work check',
  powMaxNumber: 'Difficulty',
  honeypotEnabled: 'Honeypot field',
  minSubmitSeconds: 'Minimum time before submit (seconds)',
  disposableEmails: 'Disposable email addresses',
  domainsText: 'Blocked email domains',
  loginFailuresPerIp: 'Failures per account and address',
  loginFailureWindowMinutes: '…within (minutes)',
  loginFailuresPerAccount: 'Failures per account',
  loginFailureResetHours: 'Forget failures after (hours)',
  loginPowFactor: 'Login check difficulty (× the form check)',
};

function SecuritySettingsForm(props: { initial: SecuritySettingsVersioned }) {
  const queryClient = useQueryClient();
  const form = createForm(validate, toForm(valuesOf(props.initial)));
  // Each save carries the version the form was loaded with: never puts back what someone else saved meanwhile.
  const saves = versionedSettings({
    initial: props.initial,
    toForm,
    labels: FORM_LABELS,
    form,
    onCurrent: (current) => queryClient.setQueryData(SECURITY_SETTINGS_KEY, current),
  });
  const unsaved = useUnsavedChanges(form.values);
  const domainsError = () => form.error('domainsText') ?? Object.entries(form.errors()).find(([k]) => k.startsWith('blockedEmailDomains'))?.[1];
  const num = (k: NumberField) => form.field(k);

  const onSubmit = (e: SubmitEvent) => {
    e.preventDefault();
    void form.submit(async (data) => {
      const saved = await saves.save((expectedVersion) => trpc.admin.settings.security.update.mutate({ ...data, expectedVersion }));
      queryClient.setQueryData(SECURITY_SETTINGS_KEY, saved);
      for (const [k, v] of Object.entries(toForm(valuesOf(saved)))) form.set(k as keyof FormValues, v);
      unsaved.markSaved();
      toast('Settings saved', 'success');
    });
  };

  return (
    <form class="stack" novalidate onSubmit={onSubmit} aria-describedby="security-settings-error">
      <FormError id="security-settings-error" message={form.formError()} />
      <section class="card" aria-labelledby="bots-title">
        <div class="card-header">
          <h2 id="bots-title">Bot protection</h2>
        </div>
        <p class="text-sm muted">
          On registration, password-reset requests and invitation acceptance. Nothing is sent to a third party; refused attempts are logged (event
          "bot_refused") and never stored.
        </p>
        <div class="stack">
          <CheckboxField
            variant="switch"
            label="Proof-of-work check"
            name="powEnabled"
            hint="The browser solves a small puzzle in the background (ALTCHA); people do nothing."
            checked={() => form.values().powEnabled}
            onChange={(v) => form.set('powEnabled', v)}
            error={form.error('powEnabled')}
          />
          <TextField
            label="Difficulty"
            name="powMaxNumber"
            type="number"
            inputMode="numeric"
            required
            hint="The browser tries on average half this many hashes: 50,000 takes well under a second. 1,000 to 10,000,000."
            {...num('powMaxNumber')}
          />
          <CheckboxField
            variant="switch"
            label="Honeypot field"
            name="honeypotEnabled"
            hint="A field hidden from people; a form that fills it in is refused."
            checked={() => form.values().honeypotEnabled}
            onChange={(v) => form.set('honeypotEnabled', v)}
            error={form.error('honeypotEnabled')}
          />
          <TextField
            label="Minimum time before submit (seconds)"
            name="minSubmitSeconds"
            type="number"
            inputMode="numeric"
            required
            hint="A form sent sooner than this after the page opened is refused. 0 turns the check off."
            {...num('minSubmitSeconds')}
          />
        </div>
      </section>

      <section class="card" aria-labelledby="domains-title">
        <div class="card-header">
          <h2 id="domains-title">Email domains</h2>
        </div>
        <div class="stack">
          <SelectField
            label="Disposable email addresses"
            name="disposableEmails"
            hint="Addresses at throw-away mail services (a list shipped with the app)."
            options={[
              { value: 'allow', label: 'Allow' },
              { value: 'pending', label: 'Send to the pending queue (marked "disposable")' },
              { value: 'refuse', label: 'Refuse the registration' },
            ]}
            value={() => form.values().disposableEmails}
            onChange={(v) => form.set('disposableEmails', v as SecuritySettings['disposableEmails'])}
            error={form.error('disposableEmails')}
          />
          <TextAreaField
            label="Blocked email domains"
            name="blockedEmailDomains"
            rows={4}
            placeholder={'spam.example\nthrowaway.example.org'}
            hint="One domain per line. Registrations from these domains and their subdomains are refused."
            value={() => form.values().domainsText}
            onInput={(v) => form.set('domainsText', v)}
            error={domainsError()}
          />
        </div>
      </section>

      <section class="card" aria-labelledby="lockouts-title">
        <div class="card-header">
          <h2 id="lockouts-title">Failed logins</h2>
        </div>
        <p class="text-sm muted">
          An address that fails too often for one account is refused for a while; an account that fails too often from anywhere is not locked, but every login
          to it must first pass a harder browser check (not from browsers that logged in to it before). The owner is emailed once.
        </p>
        <div class="grid-2">
          <TextField
            label="Failures per account and address"
            name="loginFailuresPerIp"
            type="number"
            inputMode="numeric"
            required
            hint="IPv6: per /64. 3 to 100."
            {...num('loginFailuresPerIp')}
          />
          <TextField
            label="…within (minutes)"
            name="loginFailureWindowMinutes"
            type="number"
            inputMode="numeric"
            required
            hint="Also how long that address is refused."
            {...num('loginFailureWindowMinutes')}
          />
          <TextField
            label="Failures per account"
            name="loginFailuresPerAccount"
            type="number"
            inputMode="numeric"
            required
            hint="From any address, before the harder check. 3 to 1,000."
            {...num('loginFailuresPerAccount')}
          />
          <TextField
            label="Forget failures after (hours)"
            name="loginFailureResetHours"
            type="number"
            inputMode="numeric"
            required
            hint="Without a new failure. 1 to 168."
            {...num('loginFailureResetHours')}
          />
          <TextField
            label="Login check difficulty (× the form check)"
            name="loginPowFactor"
            type="number"
            inputMode="numeric"
            required
            hint="Doubles again with every further round of failures, up to 8×."
            {...num('loginPowFactor')}
          />
        </div>
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
