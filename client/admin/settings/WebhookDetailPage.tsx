import { A, useNavigate, useParams } from '@solidjs/router';
import { useInfiniteQuery, useQuery, useQueryClient } from '@tanstack/solid-query';
import { For, Match, Show, Switch, createMemo, createSignal, onCleanup, onMount } from 'solid-js';
import {
  updateWebhookInput,
  WEBHOOK_DESCRIPTION_MAX,
  WEBHOOK_URL_MAX,
  type UpdateWebhookInput,
  type WebhookDeliveryDto,
  type WebhookEndpointDto,
} from '../../../shared/schemas/webhooks';
import { createForm } from '../../lib/form';
import { errorMessage, trpc } from '../../lib/trpc';
import { useUnsavedChanges } from '../../lib/unsaved';
import { zodValidator } from '../../lib/zod-form';
import { Badge, Button, CheckboxField, Dialog, FormError, Loading, TextField, formatDateTime, timeAgo, toast } from '../../ui';
import { WEBHOOKS_KEY, webhookDeliveriesKey, webhookKey } from '../query-keys';
import { EventTypePicker, orderEventTypes } from './webhook-events';
import { SecretDialog } from './WebhookSecretDialog';

const STATUS_KIND: Record<WebhookDeliveryDto['status'], string> = { pending: 'pending', succeeded: 'active', failed: 'rejected' };
const STATUS_TEXT: Record<WebhookDeliveryDto['status'], string> = { pending: 'Retrying', succeeded: 'Delivered', failed: 'Failed' };

/** Settings › Webhooks › one endpoint: its settings, secret rotation, a test event, and the live delivery log with replay. */
export default function WebhookDetailPage() {
  const params = useParams<{ id: string }>();
  const queryClient = useQueryClient();
  const endpoint = useQuery(() => ({ queryKey: webhookKey(params.id), queryFn: () => trpc.admin.settings.webhooks.get.query({ id: params.id }) }));

  // Live: every change to this endpoint's log (any process) refreshes the log and the endpoint's counts.
  onMount(() => {
    const sub = trpc.admin.settings.webhooks.onDelivery.subscribe(
      { endpointId: params.id },
      {
        onData: () => {
          void queryClient.invalidateQueries({ queryKey: webhookKey(params.id) });
        },
        onError: () => undefined,
      },
    );
    onCleanup(() => sub.unsubscribe());
  });

  return (
    <div class="stack">
      <p class="text-sm">
        <A href="/admin/settings/webhooks">← All webhook endpoints</A>
      </p>
      <Switch>
        <Match when={endpoint.isError}>
          <FormError message={errorMessage(endpoint.error)} />
        </Match>
        <Match when={endpoint.data}>
          {(e) => (
            <>
              <EndpointCard endpoint={e()} />
              <DeliveryLog endpoint={e()} />
            </>
          )}
        </Match>
        <Match when={true}>
          <Loading />
        </Match>
      </Switch>
    </div>
  );
}

interface EditValues {
  url: string;
  description: string;
  eventTypes: string[];
  enabled: boolean;
}

const validateUpdate = zodValidator(updateWebhookInput);

function EndpointCard(props: { endpoint: WebhookEndpointDto }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [secret, setSecret] = createSignal<{ secret: string; url: string; note?: string } | null>(null);
  const [confirmDelete, setConfirmDelete] = createSignal(false);
  const [busy, setBusy] = createSignal<'test' | 'rotate' | 'delete' | null>(null);
  const e = () => props.endpoint;
  const initial = (): EditValues => ({ url: e().url, description: e().description, eventTypes: orderEventTypes(e().eventTypes), enabled: e().enabled });
  const form = createForm<EditValues, UpdateWebhookInput>((v) => validateUpdate({ ...v, id: e().id, version: e().version }), initial());
  // Compared by content: the picker hands back a new array on every tick.
  const unsaved = useUnsavedChanges(form.values);
  const refresh = () =>
    Promise.all([queryClient.invalidateQueries({ queryKey: webhookKey(e().id) }), queryClient.invalidateQueries({ queryKey: WEBHOOKS_KEY })]);

  const onSubmit = (ev: SubmitEvent) => {
    ev.preventDefault();
    void form.submit(async (data) => {
      const saved = await trpc.admin.settings.webhooks.update.mutate(data);
      queryClient.setQueryData(webhookKey(saved.id), saved);
      form.set('enabled', saved.enabled);
      unsaved.markSaved();
      toast('Endpoint saved', 'success');
      await refresh();
    });
  };
  const run = async (kind: 'test' | 'rotate', fn: () => Promise<void>) => {
    setBusy(kind);
    try {
      await fn();
    } catch (err) {
      toast(errorMessage(err), 'error');
    } finally {
      setBusy(null);
    }
  };
  const sendTest = () =>
    run('test', async () => {
      await trpc.admin.settings.webhooks.sendTest.mutate({ id: e().id });
      toast('Test event queued', 'success');
      await refresh();
    });
  const rotate = () =>
    run('rotate', async () => {
      const r = await trpc.admin.settings.webhooks.rotateSecret.mutate({ id: e().id });
      setSecret({
        secret: r.secret,
        url: e().url,
        note: `The previous secret keeps signing too (a second signature) until ${formatDateTime(r.previousSecretValidUntil)}.`,
      });
      await refresh();
    });
  const remove = async () => {
    setBusy('delete');
    try {
      await trpc.admin.settings.webhooks.delete.mutate({ id: e().id });
      toast('Endpoint deleted', 'success');
      await queryClient.invalidateQueries({ queryKey: WEBHOOKS_KEY });
      navigate('/admin/settings/webhooks');
    } catch (err) {
      toast(errorMessage(err), 'error');
    } finally {
      setBusy(null);
      setConfirmDelete(false);
    }
  };

  return (
    <section class="card" aria-labelledby="endpoint-title">
      <div class="card-header">
        <div>
          <h2 id="endpoint-title" class="long-value">
            {e().url}
          </h2>
          <p class="muted text-sm">
            <Show when={e().enabled} fallback={<Badge kind="inactive">Disabled</Badge>}>
              <Badge kind={e().failingSince ? 'rejected' : 'active'}>{e().failingSince ? 'Failing' : 'Enabled'}</Badge>
            </Show>{' '}
            Added {formatDateTime(e().createdAt)}
            <Show when={e().previousSecretValidUntil}> · previous secret still signs until {formatDateTime(e().previousSecretValidUntil)}</Show>
          </p>
        </div>
        <div class="row">
          <Button small busy={busy() === 'test'} disabled={!e().enabled} onClick={() => void sendTest()}>
            Send test event
          </Button>
          <Button small busy={busy() === 'rotate'} onClick={() => void rotate()}>
            Rotate secret
          </Button>
          <Button small variant="danger" onClick={() => setConfirmDelete(true)}>
            Delete
          </Button>
        </div>
      </div>
      <Show when={!e().enabled && e().disabledReason}>
        <FormError
          message={`The portal disabled this endpoint: ${e().disabledReason}. Enable it again once the receiver works, then replay the failed deliveries.`}
        />
      </Show>
      <Show when={e().enabled && e().failingSince}>
        <p class="text-sm">Failing since {formatDateTime(e().failingSince)}; it is disabled automatically after 5 days of failures.</p>
      </Show>
      <form class="form" onSubmit={onSubmit} novalidate aria-label="Endpoint settings">
        <FormError message={form.formError()} />
        <TextField label="Endpoint URL" name="url" type="url" required maxLength={WEBHOOK_URL_MAX} {...form.field('url')} />
        <TextField label="Description" name="description" maxLength={WEBHOOK_DESCRIPTION_MAX} {...form.field('description')} />
        <EventTypePicker value={form.values().eventTypes} onChange={(v) => form.set('eventTypes', v)} error={form.error('eventTypes')} />
        <CheckboxField
          variant="switch"
          label="Enabled"
          name="enabled"
          hint="While disabled, no events are queued for this endpoint; deliveries already waiting go out once it is enabled again."
          checked={() => form.values().enabled}
          onChange={(v) => form.set('enabled', v)}
        />
        <div class="form-actions">
          <Show when={unsaved.dirty()}>
            <span class="unsaved-note" role="status" data-testid="unsaved-changes">
              Unsaved changes
            </span>
          </Show>
          <Button type="submit" variant="primary" busy={form.busy()}>
            Save endpoint
          </Button>
        </div>
      </form>
      <SecretDialog value={secret()} onClose={() => setSecret(null)} />
      <Dialog
        open={confirmDelete()}
        title="Delete webhook endpoint"
        onClose={() => setConfirmDelete(false)}
        footer={
          <>
            <Button onClick={() => setConfirmDelete(false)}>Cancel</Button>
            <Button variant="danger" busy={busy() === 'delete'} onClick={() => void remove()}>
              Delete
            </Button>
          </>
        }
      >
        <p>
          Delete <strong class="long-value">{e().url}</strong> and its delivery log? Deliveries still waiting are dropped.
        </p>
      </Dialog>
    </section>
  );
}

function DeliveryLog(props: { endpoint: WebhookEndpointDto }) {
  const queryClient = useQueryClient();
  const [status, setStatus] = createSignal<'all' | WebhookDeliveryDto['status']>('all');
  const log = useInfiniteQuery(() => ({
    queryKey: [...webhookDeliveriesKey(props.endpoint.id), status()],
    queryFn: ({ pageParam }) =>
      trpc.admin.settings.webhooks.deliveries.query({ endpointId: props.endpoint.id, status: status(), cursor: pageParam, limit: 25 }),
    initialPageParam: null as number | null,
    getNextPageParam: (last) => last.nextCursor,
  }));
  const items = createMemo(() => log.data?.pages.flatMap((p) => p.items) ?? []);
  const [replaying, setReplaying] = createSignal<number | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: webhookKey(props.endpoint.id) });

  const replay = async (d: WebhookDeliveryDto) => {
    setReplaying(d.id);
    try {
      await trpc.admin.settings.webhooks.replay.mutate({ deliveryId: d.id });
      toast(`Replaying ${d.eventType} (same webhook-id)`, 'success');
      await refresh();
    } catch (e) {
      toast(errorMessage(e), 'error');
    } finally {
      setReplaying(null);
    }
  };

  const dayAgo = () => {
    const d = new Date(Date.now() - 24 * 3600_000);
    d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
    return d.toISOString().slice(0, 16);
  };
  const [since, setSince] = createSignal(dayAgo());
  const [replayingAll, setReplayingAll] = createSignal(false);
  const replayFailed = async (ev: SubmitEvent) => {
    ev.preventDefault();
    const at = new Date(since());
    if (Number.isNaN(at.getTime())) {
      toast('Enter a date and time', 'error');
      return;
    }
    setReplayingAll(true);
    try {
      const { replayed } = await trpc.admin.settings.webhooks.replayFailed.mutate({ endpointId: props.endpoint.id, since: at.toISOString() });
      toast(
        replayed === 0 ? 'No failed deliveries since then' : `Replaying ${replayed} failed deliver${replayed === 1 ? 'y' : 'ies'}`,
        replayed ? 'success' : 'info',
      );
      await refresh();
    } catch (e) {
      toast(errorMessage(e), 'error');
    } finally {
      setReplayingAll(false);
    }
  };

  return (
    <section class="card flush" aria-labelledby="deliveries-title">
      <div class="card-header padded">
        <div>
          <h2 id="deliveries-title">Deliveries</h2>
          <p class="muted text-sm">Updates live. A replay sends the same payload with the same webhook-id, so receivers can de-duplicate it.</p>
        </div>
      </div>
      <div class="toolbar padded webhook-log-toolbar">
        <label for="delivery-status">Status</label>
        <select id="delivery-status" value={status()} onChange={(e) => setStatus(e.currentTarget.value as 'all' | WebhookDeliveryDto['status'])}>
          <option value="all">All</option>
          <option value="pending">Retrying</option>
          <option value="succeeded">Delivered</option>
          <option value="failed">Failed</option>
        </select>
        <form class="row" onSubmit={(e) => void replayFailed(e)} aria-label="Replay failed deliveries">
          <label for="replay-since">Failed since</label>
          <input id="replay-since" type="datetime-local" value={since()} onInput={(e) => setSince(e.currentTarget.value)} />
          <Button small type="submit" busy={replayingAll()} disabled={!props.endpoint.enabled}>
            Replay failed
          </Button>
        </form>
      </div>
      <Switch>
        <Match when={log.isError}>
          <FormError message={errorMessage(log.error)} />
        </Match>
        <Match when={log.isPending}>
          <Loading />
        </Match>
        <Match when={items().length === 0}>
          <div class="empty-state">
            <p class="empty-title">No deliveries yet</p>
            <p>Deliveries appear here as soon as a chosen event happens, or press "Send test event".</p>
          </div>
        </Match>
        <Match when={true}>
          <div class="table-wrap">
            <table class="table" aria-label="Deliveries">
              <thead>
                <tr>
                  <th scope="col">Event</th>
                  <th scope="col">Status</th>
                  <th scope="col" class="num">
                    Attempts
                  </th>
                  <th scope="col">Response</th>
                  <th scope="col" class="hide-sm">
                    When
                  </th>
                  <th scope="col" class="actions">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                <For each={items()}>
                  {(d) => (
                    <tr data-testid="delivery-row" data-status={d.status}>
                      <td>
                        <code class="cell-primary">{d.eventType}</code>
                        <span class="cell-sub mono text-sm" title="webhook-id">
                          {d.messageId}
                          {d.eventId !== null ? ` · event ${d.eventId}` : ''}
                          {d.replayOf !== null ? ` · replay of #${d.replayOf}` : ''}
                        </span>
                      </td>
                      <td>
                        <Badge kind={STATUS_KIND[d.status]}>{STATUS_TEXT[d.status]}</Badge>
                      </td>
                      <td class="num">
                        {d.attempts} / {d.maxAttempts}
                      </td>
                      <td class="text-sm">
                        <Show
                          when={d.responseStatus !== null}
                          fallback={<span class="muted">{d.attempts === 0 ? 'Waiting' : (d.error ?? 'No response')}</span>}
                        >
                          <span class="mono">HTTP {d.responseStatus}</span>
                          <Show when={d.latencyMs !== null}>
                            <span class="muted"> · {d.latencyMs} ms</span>
                          </Show>
                        </Show>
                        <Show when={d.responseBody}>
                          <details>
                            <summary>Response body</summary>
                            <pre class="webhook-body">{d.responseBody}</pre>
                          </details>
                        </Show>
                      </td>
                      <td class="hide-sm nowrap text-sm muted">
                        {d.status === 'pending' && d.nextAttemptAt
                          ? `Next try ${formatDateTime(d.nextAttemptAt)}`
                          : d.lastAttemptAt
                            ? timeAgo(d.lastAttemptAt)
                            : timeAgo(d.createdAt)}
                      </td>
                      <td class="actions">
                        <Button
                          small
                          variant="ghost"
                          busy={replaying() === d.id}
                          disabled={!props.endpoint.enabled}
                          aria-label={`Replay delivery ${d.id}`}
                          onClick={() => void replay(d)}
                        >
                          Replay
                        </Button>
                      </td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
          </div>
          <Show when={log.hasNextPage}>
            <div class="padded">
              <Button small busy={log.isFetchingNextPage} onClick={() => void log.fetchNextPage()}>
                Show older deliveries
              </Button>
            </div>
          </Show>
        </Match>
      </Switch>
    </section>
  );
}
