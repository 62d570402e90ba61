import { useQuery, useQueryClient } from '@tanstack/solid-query';
import { For, Index, Match, Show, Switch, createSignal } from 'solid-js';
import {
  FIELD_FORMAT_LABELS,
  FIELD_FORMATS,
  FIELD_TYPE_LABELS,
  FIELD_TYPES,
  formFieldsSchema,
  type FieldFormat,
  type FieldType,
  type FormField,
  type RegistrationForm,
} from '../../../shared/registration-form';
import { errorMessage, fieldErrors, trpc } from '../../lib/trpc';
import { useUnsavedChanges } from '../../lib/unsaved';
import { zodValidator } from '../../lib/zod-form';
import { Button, CheckboxField, FormError, Loading, SelectField, TextAreaField, TextField, formatDateTime, toast } from '../../ui';

const FORM_KEY = ['admin', 'settings', 'registrationForm'] as const;
const VERSIONS_KEY = ['admin', 'settings', 'registrationForm', 'versions'] as const;

interface Draft {
  key: string;
  label: string;
  helpText: string;
  type: FieldType;
  required: boolean;
  minLength: string;
  maxLength: string;
  format: FieldFormat | '';
  optionsText: string;
  showInPendingQueue: boolean;
}

const toDraft = (f: FormField): Draft => ({
  key: f.key,
  label: f.label,
  helpText: f.helpText,
  type: f.type,
  required: f.required,
  minLength: f.minLength == null ? '' : String(f.minLength),
  maxLength: f.maxLength == null ? '' : String(f.maxLength),
  format: f.format ?? '',
  optionsText: f.options.join('\n'),
  showInPendingQueue: f.showInPendingQueue,
});

const fromDraft = (d: Draft) => ({
  key: d.key.trim(),
  label: d.label,
  helpText: d.helpText,
  type: d.type,
  required: d.required,
  minLength: d.minLength.trim() === '' ? null : Number(d.minLength),
  maxLength: d.maxLength.trim() === '' ? null : Number(d.maxLength),
  format: d.type === 'text' && d.format ? d.format : null,
  options:
    d.type === 'select'
      ? d.optionsText
          .split('\n')
          .map((o) => o.trim())
          .filter(Boolean)
      : [],
  showInPendingQueue: d.showInPendingQueue,
});

const check = zodValidator(formFieldsSchema);

/** Settings > Registration form: the fields a developer fills in when registering. Saving publishes a new version. */
export default function RegistrationFormPage() {
  const current = useQuery(() => ({ queryKey: FORM_KEY, queryFn: () => trpc.admin.settings.registrationForm.get.query() }));
  return (
    <Switch>
      <Match when={current.isError}>
        <FormError message={errorMessage(current.error)} />
      </Match>
      <Match when={current.data}>{(f) => <Editor initial={f()} />}</Match>
      <Match when={true}>
        <Loading />
      </Match>
    </Switch>
  );
}

function Editor(props: { initial: RegistrationForm }) {
  const queryClient = useQueryClient();
  const versions = useQuery(() => ({ queryKey: VERSIONS_KEY, queryFn: () => trpc.admin.settings.registrationForm.versions.query() }));
  const [version, setVersion] = createSignal(props.initial.version);
  const [drafts, setDrafts] = createSignal<Draft[]>(props.initial.fields.map(toDraft));
  // Unsaved: the fields differ (by content, order included) from the live version.
  const unsaved = useUnsavedChanges(drafts);
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [formError, setFormError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);

  const update = (i: number, patch: Partial<Draft>) => setDrafts(drafts().map((d, j) => (j === i ? { ...d, ...patch } : d)));
  const move = (i: number, by: number) => {
    const list = [...drafts()];
    const [d] = list.splice(i, 1);
    list.splice(i + by, 0, d!);
    setDrafts(list);
  };
  const add = () =>
    setDrafts([
      ...drafts(),
      {
        key: `field_${drafts().length + 1}`,
        label: '',
        helpText: '',
        type: 'text',
        required: false,
        minLength: '',
        maxLength: '',
        format: '',
        optionsText: '',
        showInPendingQueue: false,
      },
    ]);
  const err = (i: number, k: string) => errors()[`${i}.${k}`];

  const publish = async (e: SubmitEvent) => {
    e.preventDefault();
    setFormError(null);
    const fields = drafts().map(fromDraft);
    const r = check(fields);
    if (!r.ok) {
      setErrors(r.errors);
      setFormError(r.errors._ ?? 'Please correct the highlighted fields');
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      const saved = await trpc.admin.settings.registrationForm.publish.mutate({ fields });
      queryClient.setQueryData(FORM_KEY, saved);
      void queryClient.invalidateQueries({ queryKey: VERSIONS_KEY });
      setVersion(saved.version);
      setDrafts(saved.fields.map(toDraft));
      unsaved.markSaved();
      toast(`Version ${saved.version} published`, 'success');
    } catch (x) {
      const fe = fieldErrors(x);
      setErrors(Object.fromEntries(Object.entries(fe).map(([k, v]) => [k.replace(/^fields\./, ''), v])));
      setFormError(errorMessage(x));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="stack" novalidate onSubmit={(e) => void publish(e)} aria-describedby="registration-form-error" data-testid="registration-form-editor">
      <FormError id="registration-form-error" message={formError()} />
      <section class="card">
        <div class="card-header">
          <h2>Sign-up fields</h2>
          <span class="muted text-sm" data-testid="form-version">
            {version() ? `Version ${version()} is live` : 'No fields published yet'}
          </span>
        </div>
        <p class="text-sm muted">
          Asked on the registration page after the name, email and password. Saving publishes a new version: answers given under an earlier version keep that
          version's labels, even for fields removed since. Formats come from a fixed list.
        </p>
        <Index each={drafts()}>
          {(d, i) => (
            <fieldset class="card stack" data-testid={`field-${i}`} style={{ 'margin-top': 'var(--space-4)' }}>
              <legend>
                Field {i + 1}
                <Show when={d().label}>: {d().label}</Show>
              </legend>
              <div class="grid-2">
                <TextField
                  label="Label"
                  name={`label-${i}`}
                  required
                  value={() => d().label}
                  onInput={(v) => update(i, { label: v })}
                  error={err(i, 'label')}
                />
                <TextField
                  label="Key"
                  name={`key-${i}`}
                  required
                  hint="Used in email placeholders: {{answers.key}}"
                  value={() => d().key}
                  onInput={(v) => update(i, { key: v })}
                  error={err(i, 'key')}
                />
              </div>
              <div class="grid-2">
                <SelectField
                  label="Type"
                  name={`type-${i}`}
                  options={FIELD_TYPES.map((t) => ({ value: t, label: FIELD_TYPE_LABELS[t] }))}
                  value={() => d().type}
                  onChange={(v) => update(i, { type: v as FieldType })}
                />
                <Show when={d().type === 'text'}>
                  <SelectField
                    label="Format"
                    name={`format-${i}`}
                    options={[{ value: '', label: 'Any text' }, ...FIELD_FORMATS.map((f) => ({ value: f, label: FIELD_FORMAT_LABELS[f] }))]}
                    value={() => d().format}
                    onChange={(v) => update(i, { format: v as FieldFormat | '' })}
                    error={err(i, 'format')}
                  />
                </Show>
              </div>
              <TextField
                label="Help text"
                name={`help-${i}`}
                value={() => d().helpText}
                onInput={(v) => update(i, { helpText: v })}
                error={err(i, 'helpText')}
              />
              <Show when={d().type === 'select'}>
                <TextAreaField
                  label="Options (one per line)"
                  name={`options-${i}`}
                  required
                  rows={3}
                  value={() => d().optionsText}
                  onInput={(v) => update(i, { optionsText: v })}
                  error={err(i, 'options')}
                />
              </Show>
              <Show when={d().type !== 'checkbox' && d().type !== 'select'}>
                <div class="grid-2">
                  <TextField
                    label="Minimum length"
                    name={`min-${i}`}
                    type="number"
                    inputMode="numeric"
                    value={() => d().minLength}
                    onInput={(v) => update(i, { minLength: v })}
                    error={err(i, 'minLength')}
                  />
                  <TextField
                    label="Maximum length"
                    name={`max-${i}`}
                    type="number"
                    inputMode="numeric"
                    value={() => d().maxLength}
                    onInput={(v) => update(i, { maxLength: v })}
                    error={err(i, 'maxLength')}
                  />
                </div>
              </Show>
              <CheckboxField
                label={d().type === 'checkbox' ? 'Required (must be ticked)' : 'Required'}
                name={`required-${i}`}
                checked={() => d().required}
                onChange={(v) => update(i, { required: v })}
              />
              <CheckboxField
                label="Show in the pending queue"
                name={`pending-${i}`}
                checked={() => d().showInPendingQueue}
                onChange={(v) => update(i, { showInPendingQueue: v })}
              />
              <div class="row" style={{ gap: 'var(--space-2)' }}>
                <Button type="button" small variant="secondary" disabled={i === 0} onClick={() => move(i, -1)}>
                  Move up
                </Button>
                <Button type="button" small variant="secondary" disabled={i === drafts().length - 1} onClick={() => move(i, 1)}>
                  Move down
                </Button>
                <Button type="button" small variant="danger" onClick={() => setDrafts(drafts().filter((_, j) => j !== i))}>
                  Remove
                </Button>
              </div>
            </fieldset>
          )}
        </Index>
        <div class="card-footer row" style={{ gap: 'var(--space-2)' }}>
          <Button type="button" variant="secondary" onClick={add}>
            Add field
          </Button>
          <Button type="submit" variant="primary" busy={busy()}>
            Publish new version
          </Button>
          <Show when={unsaved.dirty()}>
            <span class="unsaved-note" role="status" data-testid="unsaved-changes">
              Unsaved changes
            </span>
          </Show>
        </div>
      </section>
      <Show when={versions.data?.length}>
        <section class="card">
          <h2 class="card-title">Versions</h2>
          <table class="table">
            <thead>
              <tr>
                <th>Version</th>
                <th>Fields</th>
                <th>Published</th>
                <th>By</th>
              </tr>
            </thead>
            <tbody>
              <For each={versions.data}>
                {(v) => (
                  <tr>
                    <td>{v.version}</td>
                    <td>{v.fieldCount}</td>
                    <td>{formatDateTime(v.createdAt)}</td>
                    <td>{v.createdByName ?? '—'}</td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </section>
      </Show>
    </form>
  );
}
