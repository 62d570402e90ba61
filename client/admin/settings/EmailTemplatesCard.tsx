import { useSearchParams } from '@solidjs/router';
import { useQueryClient } from '@tanstack/solid-query';
import { For, Show, createEffect, createResource, createSignal, on, onCleanup } from 'solid-js';
import { saveTemplateInput, EMAIL_MAIN_TEXT_MAX, EMAIL_SUBJECT_MAX, type EmailSettingsOutput, type EmailTemplateInfo } from '../../../shared/schemas/mail';
import { createForm } from '../../lib/form';
import { errorMessage, trpc } from '../../lib/trpc';
import { useUnsavedChanges } from '../../lib/unsaved';
import { zodValidator } from '../../lib/zod-form';
import { Badge, Button, Dialog, FormError, SelectField, TextAreaField, TextField, toast } from '../../ui';
import { EMAIL_SETTINGS_KEY } from '../query-keys';

/** Settings > Emails: choose an email, edit its subject and main text, preview, send a test, reset. */
export function EmailTemplatesCard(props: { settings: EmailSettingsOutput }) {
  const [params, setParams] = useSearchParams();
  const selected = () => props.settings.templates.find((t) => t.name === params.template) ?? props.settings.templates[0]!;
  let card!: HTMLElement;
  const choose = (name: string) => {
    setParams({ template: name });
    // Unsaved edits make the router ask first; when the admin stays, the list shows the email still
    // being edited again (the chosen one shows once the navigation lands).
    const select = card.querySelector<HTMLSelectElement>('select[name="template"]');
    if (select) select.value = selected().name;
  };
  return (
    <section class="card" aria-labelledby="templates-title" ref={card}>
      <div class="card-header">
        <h2 id="templates-title">Emails</h2>
      </div>
      <div class="stack">
        <SelectField
          label="Email"
          name="template"
          value={() => selected().name}
          options={props.settings.templates.map((t) => ({ value: t.name, label: `${t.label}${t.customized ? ' (customized)' : ''}` }))}
          onChange={choose}
        />
        <Show when={selected()} keyed>
          {(t) => <TemplateEditor template={t} />}
        </Show>
      </div>
    </section>
  );
}

function useDebounced<T>(value: () => T, ms: number): () => T {
  const [debounced, setDebounced] = createSignal<T>(value());
  createEffect(
    on(
      value,
      (v) => {
        const timer = setTimeout(() => setDebounced(() => v), ms);
        onCleanup(() => clearTimeout(timer));
      },
      { defer: true },
    ),
  );
  return debounced;
}

function TemplateEditor(props: { template: EmailTemplateInfo }) {
  const queryClient = useQueryClient();
  const form = createForm(zodValidator(saveTemplateInput), {
    template: props.template.name,
    subject: props.template.subject,
    mainText: props.template.mainText,
  });
  const [view, setView] = createSignal<'html' | 'text'>('html');
  const [confirmReset, setConfirmReset] = createSignal(false);
  const [resetting, setResetting] = createSignal(false);
  const [sending, setSending] = createSignal(false);

  // Saved: the template as the server holds it (each save or reset refreshes it, and a new editor starts).
  const unsaved = useUnsavedChanges(() => ({ subject: form.values().subject, mainText: form.values().mainText }));
  const dirty = unsaved.dirty;
  const draft = useDebounced(() => ({ template: props.template.name, subject: form.values().subject, mainText: form.values().mainText }), 250);
  const [preview] = createResource(draft, (d) => trpc.admin.settings.emails.preview.mutate(d));

  const refresh = () => queryClient.invalidateQueries({ queryKey: EMAIL_SETTINGS_KEY });

  const onSubmit = (e: SubmitEvent) => {
    e.preventDefault();
    void form.submit(async (data) => {
      await trpc.admin.settings.emails.saveTemplate.mutate(data);
      unsaved.markSaved();
      await refresh();
      toast(`${props.template.label} email saved`, 'success');
    });
  };

  const reset = async () => {
    setResetting(true);
    try {
      await trpc.admin.settings.emails.resetTemplate.mutate({ template: props.template.name });
      form.set('subject', props.template.defaultSubject);
      form.set('mainText', props.template.defaultMainText);
      unsaved.markSaved();
      await refresh();
      setConfirmReset(false);
      toast(`${props.template.label} email reset to default`, 'success');
    } catch (e) {
      toast(errorMessage(e), 'error');
    } finally {
      setResetting(false);
    }
  };

  const sendTest = async () => {
    setSending(true);
    try {
      const r = await trpc.admin.settings.emails.sendTest.mutate({ template: props.template.name });
      toast(`Test email queued for ${r.to}`, 'success');
    } catch (e) {
      toast(errorMessage(e), 'error');
    } finally {
      setSending(false);
    }
  };

  return (
    <div class="email-settings-layout">
      <form class="stack" novalidate onSubmit={onSubmit} aria-describedby="template-error">
        <p class="muted">
          {props.template.description}{' '}
          <Show when={props.template.customized}>
            <Badge kind="invited">Customized</Badge>
          </Show>
        </p>
        <FormError id="template-error" message={form.formError()} />
        <TextField label="Subject" name="subject" required maxLength={EMAIL_SUBJECT_MAX} {...form.field('subject')} />
        <TextAreaField
          label="Main text"
          name="mainText"
          required
          rows={9}
          maxLength={EMAIL_MAIN_TEXT_MAX}
          hint="Plain text: a blank line starts a new paragraph. Buttons, links and the footer come from the template."
          {...form.field('mainText')}
        />
        <div class="stack-sm">
          <span class="text-sm muted">Placeholders you can use:</span>
          <div class="placeholder-list">
            <For each={props.template.placeholders}>{(p) => <code>{`{{${p}}}`}</code>}</For>
          </div>
        </div>
        <div class="form-actions start">
          <Button type="submit" variant="primary" busy={form.busy()} disabled={!dirty()}>
            Save
          </Button>
          <Button onClick={() => setConfirmReset(true)} disabled={!props.template.customized}>
            Reset to default
          </Button>
          <Button
            onClick={() => void sendTest()}
            busy={sending()}
            disabled={dirty()}
            title={dirty() ? 'Save your changes first: the test email uses the saved version' : undefined}
          >
            Send test email
          </Button>
          <Show when={dirty()}>
            <span class="unsaved-note" role="status" data-testid="unsaved-changes">
              Unsaved changes
            </span>
          </Show>
        </div>
        <Show when={dirty()}>
          <p class="text-sm muted">The preview shows your changes; emails use the saved version until you save.</p>
        </Show>
      </form>

      <aside class="email-preview stack-sm" aria-label="Preview" aria-busy={preview.loading ? 'true' : undefined}>
        <div class="row-between">
          <strong>Preview</strong>
          <div class="row" role="group" aria-label="Show as">
            <Button small variant={view() === 'html' ? 'primary' : 'secondary'} aria-pressed={view() === 'html'} onClick={() => setView('html')}>
              HTML
            </Button>
            <Button small variant={view() === 'text' ? 'primary' : 'secondary'} aria-pressed={view() === 'text'} onClick={() => setView('text')}>
              Plain text
            </Button>
          </div>
        </div>
        <Show when={preview.error as unknown}>
          <FormError message={errorMessage(preview.error)} />
        </Show>
        <Show when={preview.latest}>
          {(p) => (
            <>
              <Show when={p().unknownPlaceholders.length > 0}>
                <div class="alert alert-warning" role="status">
                  Unknown placeholder{p().unknownPlaceholders.length === 1 ? '' : 's'}:{' '}
                  {p()
                    .unknownPlaceholders.map((x) => `{{${x}}}`)
                    .join(', ')}
                  . They are shown as typed and cannot be saved.
                </div>
              </Show>
              <dl class="details mailbox-headers">
                <dt>From</dt>
                <dd>{p().from}</dd>
                <dt>Subject</dt>
                <dd data-testid="preview-subject">{p().subject}</dd>
              </dl>
              <Show when={view() === 'html'} fallback={<pre class="mailbox-text">{p().text}</pre>}>
                <iframe class="mailbox-frame" title="Email preview" sandbox="" referrerpolicy="no-referrer" srcdoc={p().html} data-testid="preview-frame" />
              </Show>
              <p class="text-sm muted">With sample values (Ada, example links).</p>
            </>
          )}
        </Show>
      </aside>

      <Dialog open={confirmReset()} title="Reset to default?" onClose={() => setConfirmReset(false)}>
        <p>The subject and main text of the “{props.template.label}” email go back to the words shipped with Admit. Your customized version is discarded.</p>
        <div class="form-actions">
          <Button onClick={() => setConfirmReset(false)}>Cancel</Button>
          <Button variant="danger" busy={resetting()} onClick={() => void reset()}>
            Reset to default
          </Button>
        </div>
      </Dialog>
    </div>
  );
}
