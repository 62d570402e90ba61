import { For, Match, Show, Switch, createSignal, type JSX } from 'solid-js';
import type { Answers, FormField, RegistrationForm } from '../../shared/registration-form';
import type { TermsVersion } from '../../shared/schemas/terms';
import { errorReason, fieldErrors, trpc } from '../lib/trpc';
import { CheckboxField, SelectField, TextAreaField, TextField } from '../ui';

export interface SignupExtras {
  answers: Answers;
  formVersion: number;
  acceptTerms: number | null;
}

/**
 * The admin's sign-up fields (Settings › Registration form) and the terms box (Settings › Terms)
 * on the register page. The answers are checked by answersSchema() of shared/registration-form.ts,
 * built from the definition the server sent: the very function auth.signup applies.
 */
export function createCustomFields(opts: { termsOnly?: boolean } = {}) {
  const [form, setForm] = createSignal<RegistrationForm>({ version: 0, fields: [] });
  const [terms, setTerms] = createSignal<TermsVersion | null>(null);
  const [values, setValues] = createSignal<Answers>({});
  const [accepted, setAccepted] = createSignal(false);
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [touched, setTouched] = createSignal(false);
  // The validator module (zod) loads with the first check, not with the page.
  const schemaModule = () => import('../../shared/registration-form');

  async function load() {
    const [f, t] = await Promise.all([opts.termsOnly ? Promise.resolve(null) : trpc.auth.registrationForm.query(), trpc.auth.terms.current.query()]);
    if (f) setForm(f);
    setTerms(t.version);
  }
  void load();

  /** Validates; null (with the messages shown) when something is wrong. */
  async function collect(): Promise<SignupExtras | null> {
    setTouched(true);
    const { answersSchema } = await schemaModule();
    const errs: Record<string, string> = {};
    const r = answersSchema(form().fields).safeParse(values());
    if (!r.success) for (const i of r.error.issues) errs[String(i.path[0])] ??= i.message;
    const t = terms();
    if (t && !accepted()) errs.acceptTerms = `Please accept the ${t.title}`;
    setErrors(errs);
    if (Object.keys(errs).length) return null;
    return { answers: r.success ? r.data : {}, formVersion: form().version, acceptTerms: t ? t.id : null };
  }

  const set = (key: string, v: string | boolean) => {
    setValues({ ...values(), [key]: v });
    if (touched()) void collect();
  };

  /** A refusal from the server: field messages under the fields; a changed form or new terms are reloaded. */
  function serverError(err: unknown) {
    const reason = errorReason(err);
    if (reason === 'FORM_CHANGED' || reason === 'TERMS_ACCEPTANCE_REQUIRED') {
      setAccepted(false);
      void load();
    }
    const fe = fieldErrors(err);
    const mine: Record<string, string> = {};
    for (const [k, m] of Object.entries(fe)) {
      if (k.startsWith('answers.')) mine[k.slice('answers.'.length)] = m;
      if (k === 'acceptTerms') mine.acceptTerms = m;
    }
    if (Object.keys(mine).length) setErrors(mine);
  }

  const text = (key: string) => () => {
    const v = values()[key];
    return typeof v === 'string' ? v : '';
  };

  function fieldView(f: FormField): JSX.Element {
    const common = { label: f.label, name: `answers.${f.key}`, required: f.required, hint: f.helpText || undefined, error: errors()[f.key] };
    return (
      <Switch>
        <Match when={f.type === 'checkbox'}>
          <CheckboxField {...common} checked={() => values()[f.key] === true} onChange={(v) => set(f.key, v)} error={errors()[f.key]} />
        </Match>
        <Match when={f.type === 'select'}>
          <SelectField
            {...common}
            error={errors()[f.key]}
            placeholder="Choose…"
            options={f.options.map((o) => ({ value: o, label: o }))}
            value={text(f.key)}
            onChange={(v) => set(f.key, v)}
          />
        </Match>
        <Match when={f.type === 'longText'}>
          <TextAreaField {...common} error={errors()[f.key]} value={text(f.key)} onInput={(v) => set(f.key, v)} maxLength={f.maxLength ?? undefined} />
        </Match>
        <Match when={true}>
          <TextField
            {...common}
            error={errors()[f.key]}
            type={f.type === 'url' || f.format === 'url' ? 'url' : f.format === 'email' ? 'email' : f.format === 'phone' ? 'tel' : 'text'}
            inputMode={f.format === 'wholeNumber' ? 'numeric' : undefined}
            value={text(f.key)}
            onInput={(v) => set(f.key, v)}
            maxLength={f.maxLength ?? undefined}
          />
        </Match>
      </Switch>
    );
  }

  const termsHref = (t: TermsVersion) => t.url ?? `#terms-${t.id}`;

  function view(): JSX.Element {
    return (
      <>
        <Show when={form().fields.length > 0}>
          <div data-testid="custom-fields">
            <For each={form().fields}>{(f) => fieldView(f)}</For>
          </div>
        </Show>
        <Show when={terms()}>
          {(t) => (
            <div data-testid="terms-box">
              <Show when={!t().url && t().body}>
                <details id={`terms-${t().id}`} class="terms-text">
                  <summary>Read the {t().title}</summary>
                  <div style={{ 'white-space': 'pre-wrap', 'max-height': '12rem', overflow: 'auto' }}>{t().body}</div>
                </details>
              </Show>
              <CheckboxField
                name="acceptTerms"
                required
                label={
                  <>
                    I accept the{' '}
                    <a href={termsHref(t())} target={t().url ? '_blank' : undefined} rel="noopener noreferrer">
                      {t().title}
                    </a>
                  </>
                }
                checked={accepted}
                onChange={(v) => {
                  setAccepted(v);
                  if (touched()) void collect();
                }}
                error={errors().acceptTerms}
              />
            </div>
          )}
        </Show>
      </>
    );
  }

  return { view, collect, serverError, terms };
}
