import { useQuery, useQueryClient } from '@tanstack/solid-query';
import { For, Match, Switch, createSignal } from 'solid-js';
import { displayEmail } from '../../../shared/email';
import { addSuppressionInput, type SuppressionItem } from '../../../shared/schemas/mail-safety';
import { createForm } from '../../lib/form';
import { errorMessage, trpc } from '../../lib/trpc';
import { zodValidator } from '../../lib/zod-form';
import { Badge, Button, FormError, TextField, formatDateTime, toast, Loading } from '../../ui';
import { SUPPRESSIONS_KEY } from '../query-keys';

/**
 * Admin > Mailbox > Suppressed addresses: no email goes to these addresses, except the one the
 * person asks for at that moment (a password reset). Addresses that SMTP refused for good (a 5xx
 * to RCPT TO) are added by the mail worker.
 */
export function SuppressionsPanel() {
  const queryClient = useQueryClient();
  const list = useQuery(() => ({ queryKey: SUPPRESSIONS_KEY, queryFn: () => trpc.admin.mail.suppressions.list.query() }));
  const form = createForm(zodValidator(addSuppressionInput), { email: '', reason: '' });
  const [removing, setRemoving] = createSignal<string | null>(null);

  const onSubmit = (e: SubmitEvent) => {
    e.preventDefault();
    void form.submit(async (data) => {
      await trpc.admin.mail.suppressions.add.mutate(data);
      form.set('email', '');
      form.set('reason', '');
      toast(`${displayEmail(data.email)} will get no more emails`, 'success');
      await queryClient.invalidateQueries({ queryKey: SUPPRESSIONS_KEY });
    });
  };

  const remove = async (item: SuppressionItem) => {
    setRemoving(item.address);
    try {
      await trpc.admin.mail.suppressions.remove.mutate({ email: item.address });
      toast(`${displayEmail(item.address)} can get emails again`, 'success');
      await queryClient.invalidateQueries({ queryKey: SUPPRESSIONS_KEY });
    } catch (e) {
      toast(errorMessage(e), 'error');
    } finally {
      setRemoving(null);
    }
  };

  return (
    <div id="panel-suppressed" role="tabpanel" aria-labelledby="tab-suppressed" class="stack">
      <form class="card" novalidate onSubmit={onSubmit} aria-labelledby="suppress-title" data-testid="suppress-form">
        <div class="card-header">
          <h2 id="suppress-title">Suppress an address</h2>
        </div>
        <div class="stack">
          <p class="text-sm muted">
            No email goes to a suppressed address, except a password reset its owner asks for at that moment. Use it for people who asked not to be mailed.
          </p>
          <FormError message={form.formError()} />
          <div class="grid-2">
            <TextField label="Email" name="email" type="email" maxLength={254} required {...form.field('email')} />
            <TextField label="Reason" name="reason" maxLength={500} required {...form.field('reason')} />
          </div>
          <div class="form-actions start">
            <Button type="submit" variant="primary" busy={form.busy()}>
              Suppress
            </Button>
          </div>
        </div>
      </form>
      <Switch>
        <Match when={list.isError}>
          <FormError message={errorMessage(list.error)} />
        </Match>
        <Match when={list.isPending}>
          <Loading />
        </Match>
        <Match when={list.data?.items.length === 0}>
          <section class="card">
            <div class="empty-state">
              <p class="empty-title">No suppressed addresses</p>
              <p>Addresses your mail server refuses for good are added here automatically.</p>
            </div>
          </section>
        </Match>
        <Match when={true}>
          <section class="card flush">
            <div class="table-wrap">
              <table class="table" aria-label="Suppressed addresses">
                <thead>
                  <tr>
                    <th scope="col">Address</th>
                    <th scope="col">Reason</th>
                    <th scope="col" class="hide-sm">
                      Since
                    </th>
                    <th scope="col" class="actions">
                      <span class="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  <For each={list.data?.items ?? []}>
                    {(item) => (
                      <tr data-testid="suppression-row">
                        <td class="long-value" title={displayEmail(item.address)}>
                          {displayEmail(item.address)}
                        </td>
                        <td>
                          <Badge kind={item.source === 'bounce' ? 'rejected' : 'inactive'}>{item.source === 'bounce' ? 'Bounced' : 'Added by an admin'}</Badge>
                          <span class="cell-sub long-value" title={item.reason}>
                            {item.reason}
                          </span>
                        </td>
                        <td class="hide-sm nowrap text-sm muted">{formatDateTime(item.createdAt)}</td>
                        <td class="actions">
                          <Button small variant="ghost" busy={removing() === item.address} onClick={() => void remove(item)}>
                            Remove
                          </Button>
                        </td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            </div>
          </section>
        </Match>
      </Switch>
    </div>
  );
}
