import { A } from '@solidjs/router';
import { useQuery, useQueryClient } from '@tanstack/solid-query';
import { For, Match, Show, Switch, createEffect, createSignal, onCleanup } from 'solid-js';
import { createWebhookInput, WEBHOOK_DESCRIPTION_MAX, WEBHOOK_URL_MAX, type CreateWebhookInput } from '../../../shared/schemas/webhooks';
import { createForm } from '../../lib/form';
import { errorMessage, trpc } from '../../lib/trpc';
import { DISCARD_QUESTION, useUnsavedChanges } from '../../lib/unsaved';
import { zodValidator } from '../../lib/zod-form';
import { Badge, Button, Dialog, FormError, Loading, TextField, timeAgo, toast } from '../../ui';
import { WEBHOOKS_KEY } from '../query-keys';
import { EventTypePicker, eventTypesSummary } from './webhook-events';
import { SecretDialog } from './WebhookSecretDialog';

/** Settings › Webhooks: the endpoints that receive the portal's events (Standard Webhooks), and a way to add one. */
export default function WebhooksPage() {
  const queryClient = useQueryClient();
  const list = useQuery(() => ({ queryKey: WEBHOOKS_KEY, queryFn: () => trpc.admin.settings.webhooks.list.query(), refetchInterval: 15_000 }));
  const [adding, setAdding] = createSignal(false);
  const [addingDirty, setAddingDirty] = createSignal(false);
  // Closing the Add dialog with something typed in asks first; a blank or just-created one closes at once.
  const closeAdding = () => {
    if (addingDirty() && !window.confirm(DISCARD_QUESTION)) return;
    setAddingDirty(false);
    setAdding(false);
  };
  const [secret, setSecret] = createSignal<{ secret: string; url: string; id: string } | null>(null);

  return (
    <div class="stack">
      <section class="card" aria-labelledby="webhooks-title">
        <div class="card-header">
          <div>
            <h2 id="webhooks-title">Webhook endpoints</h2>
            <p class="muted text-sm">
              Each event you choose is sent as a signed HTTP POST (Standard Webhooks) to your endpoint, retried for about three days until it answers 2xx.
            </p>
          </div>
          <Button variant="primary" onClick={() => setAdding(true)} disabled={list.data?.secretKeyConfigured === false}>
            Add endpoint
          </Button>
        </div>
        <Show when={list.data?.secretKeyConfigured === false}>
          <FormError message="Webhooks are off: the server has no APP_SECRET_KEY to encrypt their signing secrets. Ask the operator to set it." />
        </Show>
        <Switch>
          <Match when={list.isError}>
            <FormError message={errorMessage(list.error)} />
          </Match>
          <Match when={list.isPending}>
            <Loading />
          </Match>
          <Match when={list.data?.items.length === 0}>
            <div class="empty-state">
              <p class="empty-title">No endpoints yet</p>
              <p>Add one to tell your API gateway, CRM or billing system when developers register, are activated or leave.</p>
            </div>
          </Match>
          <Match when={list.data}>
            {(data) => (
              <div class="table-wrap">
                <table class="table" aria-label="Webhook endpoints">
                  <thead>
                    <tr>
                      <th scope="col">Endpoint</th>
                      <th scope="col">Events</th>
                      <th scope="col">Status</th>
                      <th scope="col" class="hide-sm">
                        Deliveries
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    <For each={data().items}>
                      {(e) => (
                        <tr data-testid="webhook-row">
                          <td>
                            <A class="cell-primary long-value" href={`/admin/settings/webhooks/${e.id}`}>
                              {e.url}
                            </A>
                            <Show when={e.description}>
                              <span class="cell-sub">{e.description}</span>
                            </Show>
                          </td>
                          <td class="text-sm">{eventTypesSummary(e.eventTypes)}</td>
                          <td>
                            <Show
                              when={e.enabled}
                              fallback={
                                <Badge kind="inactive" title={e.disabledReason ?? undefined}>
                                  {e.disabledReason ? 'Disabled by the portal' : 'Disabled'}
                                </Badge>
                              }
                            >
                              <Show when={e.failingSince} fallback={<Badge kind="active">Enabled</Badge>}>
                                <Badge kind="rejected" title={`Failing since ${e.failingSince}`}>
                                  Failing
                                </Badge>
                              </Show>
                            </Show>
                          </td>
                          <td class="hide-sm text-sm muted nowrap">
                            {e.counts.succeeded} sent · {e.counts.pending} waiting · {e.counts.failed} failed
                            <Show when={e.lastDeliveryAt}>
                              <span class="cell-sub">Last {timeAgo(e.lastDeliveryAt)}</span>
                            </Show>
                          </td>
                        </tr>
                      )}
                    </For>
                  </tbody>
                </table>
              </div>
            )}
          </Match>
        </Switch>
      </section>

      <Dialog open={adding()} title="Add webhook endpoint" onClose={closeAdding} class="wide">
        <AddEndpointForm
          onClose={closeAdding}
          onDirty={setAddingDirty}
          onCreated={(r) => {
            setAddingDirty(false);
            setAdding(false);
            setSecret(r);
            void queryClient.invalidateQueries({ queryKey: WEBHOOKS_KEY });
          }}
        />
      </Dialog>
      <SecretDialog value={secret()} onClose={() => setSecret(null)} />
    </div>
  );
}

interface AddValues {
  url: string;
  description: string;
  eventTypes: string[];
}

const validate = zodValidator(createWebhookInput);

function AddEndpointForm(props: {
  onClose: () => void;
  /** Whether the form has changes, for the dialog's close (Cancel, Escape, ×, backdrop) to ask first. */
  onDirty: (dirty: boolean) => void;
  onCreated: (r: { secret: string; url: string; id: string }) => void;
}) {
  const form = createForm<AddValues, CreateWebhookInput>((v) => validate({ ...v, enabled: true }), { url: '', description: '', eventTypes: ['user.*'] });
  // Leaving the page (back button, reload, closing the tab) with the dialog filled in asks first.
  const unsaved = useUnsavedChanges(form.values);
  createEffect(() => props.onDirty(unsaved.dirty()));
  onCleanup(() => props.onDirty(false));
  const onSubmit = (e: SubmitEvent) => {
    e.preventDefault();
    void form.submit(async (data) => {
      const created = await trpc.admin.settings.webhooks.create.mutate(data);
      unsaved.markSaved();
      toast('Endpoint added', 'success');
      props.onCreated({ secret: created.secret, url: created.endpoint.url, id: created.endpoint.id });
    });
  };
  return (
    <form class="form" onSubmit={onSubmit} novalidate>
      <FormError message={form.formError()} />
      <TextField
        label="Endpoint URL"
        name="url"
        type="url"
        required
        autofocus
        maxLength={WEBHOOK_URL_MAX}
        placeholder="https://hooks.example.com/admit"
        hint="Must be reachable on the public internet: private, loopback and link-local addresses are refused unless the operator allows the host."
        {...form.field('url')}
      />
      <TextField
        label="Description"
        name="description"
        maxLength={WEBHOOK_DESCRIPTION_MAX}
        hint="Optional: what receives these events."
        {...form.field('description')}
      />
      <EventTypePicker value={form.values().eventTypes} onChange={(v) => form.set('eventTypes', v)} error={form.error('eventTypes')} />
      <div class="form-actions">
        <Show when={unsaved.dirty()}>
          <span class="unsaved-note" role="status" data-testid="unsaved-changes">
            Unsaved changes
          </span>
        </Show>
        <Button onClick={props.onClose}>Cancel</Button>
        <Button type="submit" variant="primary" busy={form.busy()}>
          Add endpoint
        </Button>
      </div>
    </form>
  );
}
