import { useQuery, useQueryClient } from '@tanstack/solid-query';
import { For, Match, Show, Switch, createSignal } from 'solid-js';
import { createOrganisationInput, ORGANISATION_NAME_MAX, type OrganisationDto } from '../../../shared/schemas/organisations';
import { createForm } from '../../lib/form';
import { errorDetails, errorMessage, errorReason, trpc, UserFacingError } from '../../lib/trpc';
import { zodValidator } from '../../lib/zod-form';
import { ORGANISATIONS_KEY } from '../query-keys';
import { Badge, Button, Dialog, FormError, TextField, formatDate, toast, Loading } from '../../ui';

/** API Consumers > Organisations: every user belongs to one; the default one takes new users. */
export default function OrganisationsPage() {
  const queryClient = useQueryClient();
  const list = useQuery(() => ({
    queryKey: ORGANISATIONS_KEY,
    queryFn: () => trpc.admin.organisations.list.query(),
  }));
  const [creating, setCreating] = createSignal(false);
  const [renaming, setRenaming] = createSignal<OrganisationDto | null>(null);
  const [deleting, setDeleting] = createSignal<OrganisationDto | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: ORGANISATIONS_KEY });

  return (
    <>
      <header class="page-header">
        <div>
          <h1>Organisations</h1>
          <p class="muted">Group API consumers by the company or team they belong to.</p>
        </div>
        <div class="page-actions">
          <Button variant="primary" onClick={() => setCreating(true)}>
            New organisation
          </Button>
        </div>
      </header>

      <Switch>
        <Match when={list.isError}>
          <FormError message={errorMessage(list.error)} />
        </Match>
        <Match when={list.isPending}>
          <Loading />
        </Match>
        <Match when={list.data}>
          {(data) => (
            <section class="card flush">
              <div class="table-wrap">
                <table class="table" aria-label="Organisations">
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col" class="num">
                        Users
                      </th>
                      <th scope="col">Created</th>
                      <th scope="col" class="actions">
                        <span class="sr-only">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    <For each={data().items}>
                      {(org) => (
                        <tr data-testid="organisation-row">
                          <td>
                            <span class="cell-primary">{org.name}</span>{' '}
                            <Show when={org.isDefault}>
                              <Badge title="New users join this organisation">Default</Badge>
                            </Show>
                          </td>
                          <td class="num">{org.userCount}</td>
                          <td class="nowrap">{formatDate(org.createdAt)}</td>
                          <td class="actions">
                            <div class="row" style={{ 'justify-content': 'flex-end' }}>
                              <Button small variant="ghost" onClick={() => setRenaming(org)} aria-label={`Rename ${org.name}`}>
                                Rename
                              </Button>
                              <Button
                                small
                                variant="ghost"
                                disabled={org.isDefault || org.userCount > 0}
                                title={
                                  org.isDefault
                                    ? 'The default organisation cannot be deleted'
                                    : org.userCount > 0
                                      ? 'Move its users to another organisation first'
                                      : undefined
                                }
                                onClick={() => setDeleting(org)}
                                aria-label={`Delete ${org.name}`}
                              >
                                Delete
                              </Button>
                            </div>
                          </td>
                        </tr>
                      )}
                    </For>
                  </tbody>
                </table>
              </div>
            </section>
          )}
        </Match>
      </Switch>

      <NameDialog
        open={creating()}
        title="New organisation"
        submitLabel="Create organisation"
        initial=""
        onClose={() => setCreating(false)}
        save={async (name) => {
          const org = await trpc.admin.organisations.create.mutate({ name });
          toast(`Created ${org.name}`, 'success');
          await refresh();
        }}
      />
      <NameDialog
        open={renaming() !== null}
        title="Rename organisation"
        submitLabel="Save"
        initial={renaming()?.name ?? ''}
        onClose={() => setRenaming(null)}
        save={async (name) => {
          // The version seen: if someone renamed it meanwhile, the server refuses instead of undoing their rename.
          const seen = renaming()!;
          try {
            const org = await trpc.admin.organisations.rename.mutate({ id: seen.id, name, expectedVersion: seen.version });
            toast(`Renamed to ${org.name}`, 'success');
          } catch (e) {
            const current = changedMeanwhile(e);
            if (!current) throw e;
            // The dialog now holds what is current: saving again renames that, knowingly.
            setRenaming(current);
            void refresh();
            throw new UserFacingError(`Someone else renamed it to “${current.name}” meanwhile. Save again to rename it to “${name}”, or cancel.`);
          }
          await refresh();
        }}
      />
      <DeleteDialog org={deleting()} onClose={() => setDeleting(null)} onDeleted={refresh} onChanged={setDeleting} />
    </>
  );
}

function NameDialog(props: { open: boolean; title: string; submitLabel: string; initial: string; onClose: () => void; save: (name: string) => Promise<void> }) {
  return (
    <Dialog open={props.open} title={props.title} onClose={props.onClose}>
      <NameForm {...props} />
    </Dialog>
  );
}

function NameForm(props: { initial: string; submitLabel: string; onClose: () => void; save: (name: string) => Promise<void> }) {
  const form = createForm(zodValidator(createOrganisationInput), { name: props.initial });
  const onSubmit = (e: SubmitEvent) => {
    e.preventDefault();
    void form.submit(async ({ name }) => {
      await props.save(name);
      props.onClose();
    });
  };
  return (
    <form class="form" onSubmit={onSubmit} novalidate>
      <FormError message={form.formError()} />
      <TextField label="Name" name="name" required autofocus maxLength={ORGANISATION_NAME_MAX} {...form.field('name')} />
      <div class="form-actions">
        <Button onClick={props.onClose}>Cancel</Button>
        <Button type="submit" variant="primary" busy={form.busy()}>
          {props.submitLabel}
        </Button>
      </div>
    </form>
  );
}

/** The organisation as it is now, when the server refused because it changed since the admin saw it. */
function changedMeanwhile(e: unknown): OrganisationDto | null {
  if (errorReason(e) !== 'ORGANISATION_CHANGED') return null;
  const current = errorDetails(e)?.organisation as OrganisationDto | null | undefined;
  return current ?? null;
}

function DeleteDialog(props: {
  org: OrganisationDto | null;
  onClose: () => void;
  onDeleted: () => Promise<unknown>;
  onChanged: (current: OrganisationDto) => void;
}) {
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);
  const close = () => {
    setError(null);
    props.onClose();
  };
  const confirm = async () => {
    const org = props.org;
    if (!org) return;
    setBusy(true);
    setError(null);
    try {
      await trpc.admin.organisations.delete.mutate({ id: org.id, expectedVersion: org.version });
      toast(`Deleted ${org.name}`, 'success');
      await props.onDeleted();
      close();
    } catch (e) {
      const current = changedMeanwhile(e);
      if (current) {
        // The dialog now names what is current: deleting again deletes that, knowingly.
        props.onChanged(current);
        setError(`Someone else renamed it to “${current.name}” meanwhile. Delete it anyway?`);
      } else setError(errorMessage(e));
      await props.onDeleted();
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog
      open={props.org !== null}
      title="Delete organisation"
      onClose={close}
      footer={
        <>
          <Button onClick={close}>Cancel</Button>
          <Button variant="danger" busy={busy()} onClick={() => void confirm()}>
            Delete
          </Button>
        </>
      }
    >
      <FormError message={error()} />
      <p>
        Delete <strong>{props.org?.name}</strong>? This cannot be undone.
      </p>
    </Dialog>
  );
}
