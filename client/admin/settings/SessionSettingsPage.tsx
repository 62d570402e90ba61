import { useQuery, useQueryClient } from '@tanstack/solid-query';
import { Match, Show, Switch } from 'solid-js';
import { sessionSettingsSchema, type SessionSettings } from '../../../shared/schemas/session-settings';
import { createForm, type Validator } from '../../lib/form';
import { useUnsavedChanges } from '../../lib/unsaved';
import { errorMessage, trpc } from '../../lib/trpc';
import { zodValidator } from '../../lib/zod-form';
import { Button, FormError, Loading, TextField, toast } from '../../ui';
import { valuesOf, versionedSettings } from '../../lib/versioned-settings';
import type { SessionSettingsVersioned } from '../../../shared/schemas/settings-version';

const SESSION_SETTINGS_KEY = ['admin', 'settings', 'sessions'] as const;

interface FormValues {
  sessionIdleTimeoutMinutes: string;
  sessionAbsoluteLifetimeHours: string;
  passwordMinLength: string;
}

const schemaValidator = zodValidator(sessionSettingsSchema);
const num = (s: string) => (s.trim() === '' ? NaN : Number(s));

const validate: Validator<FormValues, SessionSettings> = async (v) => {
  const r = schemaValidator({
    sessionIdleTimeoutMinutes: num(v.sessionIdleTimeoutMinutes),
    sessionAbsoluteLifetimeHours: num(v.sessionAbsoluteLifetimeHours),
    passwordMinLength: num(v.passwordMinLength),
  });
  if (r.ok) return r;
  const errors: Record<string, string> = {};
  // The first message for a field wins.
  const put = (k: string, m: string) => {
    if (!(k in errors)) errors[k] = m;
  };
  for (const [k, msg] of Object.entries(r.errors)) put(k, Number.isNaN(num(v[k as keyof FormValues])) ? 'Enter a whole number' : msg);
  return { ok: false, errors };
};

const toForm = (s: SessionSettings): FormValues => ({
  sessionIdleTimeoutMinutes: String(s.sessionIdleTimeoutMinutes),
  sessionAbsoluteLifetimeHours: String(s.sessionAbsoluteLifetimeHours),
  passwordMinLength: String(s.passwordMinLength),
});

/** Settings > Sessions & passwords: how long a login lasts, and what a new password must be. */
export default function SessionSettingsPage() {
  const settings = useQuery(() => ({ queryKey: SESSION_SETTINGS_KEY, queryFn: () => trpc.admin.settings.sessions.get.query() }));
  return (
    <Switch>
      <Match when={settings.isError}>
        <FormError message={errorMessage(settings.error)} />
      </Match>
      <Match when={settings.data}>{(s) => <SessionSettingsForm initial={s()} />}</Match>
      <Match when={true}>
        <Loading />
      </Match>
    </Switch>
  );
}

const FORM_LABELS: Record<keyof FormValues, string> = {
  sessionIdleTimeoutMinutes: 'Idle timeout (minutes)',
  sessionAbsoluteLifetimeHours: 'Absolute lifetime (hours)',
  passwordMinLength: 'Minimum length for new passwords',
};

function SessionSettingsForm(props: { initial: SessionSettingsVersioned }) {
  const queryClient = useQueryClient();
  const form = createForm(validate, toForm(valuesOf(props.initial)));
  // Each save carries the version the form was loaded with: never puts back what someone else saved meanwhile.
  const saves = versionedSettings({
    initial: props.initial,
    toForm,
    labels: FORM_LABELS,
    form,
    onCurrent: (current) => queryClient.setQueryData(SESSION_SETTINGS_KEY, current),
  });
  const unsaved = useUnsavedChanges(form.values);
  const onSubmit = (e: SubmitEvent) => {
    e.preventDefault();
    void form.submit(async (data) => {
      const saved = await saves.save((expectedVersion) => trpc.admin.settings.sessions.update.mutate({ ...data, expectedVersion }));
      queryClient.setQueryData(SESSION_SETTINGS_KEY, saved);
      const next = toForm(valuesOf(saved));
      for (const k of Object.keys(next) as (keyof FormValues)[]) form.set(k, next[k]);
      unsaved.markSaved();
      toast('Settings saved', 'success');
    });
  };
  return (
    <form class="stack" novalidate onSubmit={onSubmit} aria-describedby="session-settings-error">
      <FormError id="session-settings-error" message={form.formError()} />
      <section class="card" aria-labelledby="sessions-title">
        <div class="card-header">
          <h2 id="sessions-title">Sessions</h2>
        </div>
        <div class="stack">
          <TextField
            label="Idle timeout (minutes)"
            name="sessionIdleTimeoutMinutes"
            type="number"
            inputMode="numeric"
            required
            hint="A login not used for this long ends; each use extends it. 5 minutes to 30 days (43,200). Default 1,440 (24 hours)."
            {...form.field('sessionIdleTimeoutMinutes')}
          />
          <TextField
            label="Absolute lifetime (hours)"
            name="sessionAbsoluteLifetimeHours"
            type="number"
            inputMode="numeric"
            required
            hint="A login ends this long after it started, however busy. 1 hour to 365 days (8,760). Default 720 (30 days). A shorter value also applies to logins already running."
            {...form.field('sessionAbsoluteLifetimeHours')}
          />
        </div>
      </section>
      <section class="card" aria-labelledby="passwords-title">
        <div class="card-header">
          <h2 id="passwords-title">Passwords</h2>
        </div>
        <TextField
          label="Minimum length for new passwords"
          name="passwordMinLength"
          type="number"
          inputMode="numeric"
          required
          hint="8 to 64 characters; default 12. No composition rules; commonly used passwords are always refused. Existing shorter passwords keep working until they are changed."
          {...form.field('passwordMinLength')}
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
