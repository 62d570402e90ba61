import { useQuery, useQueryClient } from '@tanstack/solid-query';
import { For, Show, createSignal } from 'solid-js';
import { publishTermsInput } from '../../../shared/schemas/terms';
import { createForm } from '../../lib/form';
import { trpc } from '../../lib/trpc';
import { useUnsavedChanges } from '../../lib/unsaved';
import { zodValidator } from '../../lib/zod-form';
import { Button, CheckboxField, FormError, SelectField, TextAreaField, TextField, formatDateTime, toast } from '../../ui';

const VERSIONS_KEY = ['admin', 'settings', 'terms', 'versions'] as const;
const NOT_ACCEPTED_KEY = ['admin', 'settings', 'terms', 'notAccepted'] as const;

/** Settings > Terms: publish versions (immutable once published); who has not accepted the latest. */
export default function TermsPage() {
  const queryClient = useQueryClient();
  const versions = useQuery(() => ({ queryKey: VERSIONS_KEY, queryFn: () => trpc.admin.settings.terms.versions.query() }));
  const notAccepted = useQuery(() => ({ queryKey: NOT_ACCEPTED_KEY, queryFn: () => trpc.admin.settings.terms.notAccepted.query() }));
  const [source, setSource] = createSignal<'text' | 'url'>('text');
  const form = createForm(zodValidator(publishTermsInput), { title: 'Terms of Use', body: '', url: '', mustReaccept: false });
  // Unsaved: the draft differs from the empty form, or from the version just published.
  const unsaved = useUnsavedChanges(form.values);

  const onSubmit = (e: SubmitEvent) => {
    e.preventDefault();
    if (source() === 'text') form.set('url', '');
    else form.set('body', '');
    void form.submit(async (data) => {
      const v = await trpc.admin.settings.terms.publish.mutate(data);
      void queryClient.invalidateQueries({ queryKey: VERSIONS_KEY });
      void queryClient.invalidateQueries({ queryKey: NOT_ACCEPTED_KEY });
      form.set('mustReaccept', false);
      unsaved.markSaved();
      toast(`Version ${v.id} of the ${v.title} published`, 'success');
    });
  };

  return (
    <div class="stack">
      <form class="card stack" novalidate onSubmit={onSubmit} aria-describedby="terms-error" data-testid="terms-publish">
        <div class="card-header">
          <h2>Publish a new version</h2>
        </div>
        <p class="text-sm muted">
          With terms published, registering and accepting an invitation require ticking "I accept the …". Published versions cannot be changed; each acceptance
          is recorded with its time, IP address and browser.
        </p>
        <FormError id="terms-error" message={form.formError()} />
        <TextField label="Title" name="title" required {...form.field('title')} />
        <SelectField
          label="The terms are"
          name="source"
          options={[
            { value: 'text', label: 'Text written here' },
            { value: 'url', label: 'A page at a URL' },
          ]}
          value={source}
          onChange={(v) => setSource(v as 'text' | 'url')}
        />
        <Show when={source() === 'text'} fallback={<TextField label="URL" name="url" type="url" required {...form.field('url')} />}>
          <TextAreaField label="Text" name="body" required rows={8} {...form.field('body')} />
        </Show>
        <CheckboxField
          label="Every user must accept this version at their next login"
          name="mustReaccept"
          hint="Until they do, they can only read and accept the terms, or log out."
          checked={() => form.values().mustReaccept}
          onChange={(v) => form.set('mustReaccept', v)}
        />
        <div class="card-footer">
          <Show when={unsaved.dirty()}>
            <span class="unsaved-note" role="status" data-testid="unsaved-changes">
              Unsaved changes
            </span>
          </Show>
          <Button type="submit" variant="primary" busy={form.busy()}>
            Publish
          </Button>
        </div>
      </form>

      <Show when={notAccepted.data?.versionId}>
        <section class="card" data-testid="terms-not-accepted">
          <h2 class="card-title">Not yet accepted the latest version ({notAccepted.data!.count})</h2>
          <Show when={notAccepted.data!.count > 0} fallback={<p class="muted">Every active user has accepted it.</p>}>
            <ul>
              <For each={notAccepted.data!.items}>
                {(u) => (
                  <li>
                    <a href={`/admin/users/${u.id}`}>
                      {u.firstName} {u.lastName}
                    </a>{' '}
                    <span class="muted">{u.email}</span>
                  </li>
                )}
              </For>
            </ul>
          </Show>
        </section>
      </Show>

      <Show when={versions.data?.length}>
        <section class="card">
          <h2 class="card-title">Published versions</h2>
          <table class="table" data-testid="terms-versions">
            <thead>
              <tr>
                <th>Version</th>
                <th>Title</th>
                <th>Must re-accept</th>
                <th>Accepted by</th>
                <th>Published</th>
              </tr>
            </thead>
            <tbody>
              <For each={versions.data}>
                {(v) => (
                  <tr>
                    <td>{v.id}</td>
                    <td>
                      {v.url ? (
                        <a href={v.url} target="_blank" rel="noopener noreferrer">
                          {v.title}
                        </a>
                      ) : (
                        v.title
                      )}
                    </td>
                    <td>{v.mustReaccept ? 'Yes' : 'No'}</td>
                    <td>{v.acceptedCount}</td>
                    <td>{formatDateTime(v.createdAt)}</td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </section>
      </Show>
    </div>
  );
}
