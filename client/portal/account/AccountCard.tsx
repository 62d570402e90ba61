import { Show, createResource, createSignal } from 'solid-js';
import { NAME_MAX } from '../../../shared/constants';
import type { AccountOutput, UpdateOwnNameInput } from '../../../shared/schemas/account';
import { createForm, lazyValidator } from '../../lib/form';
import { refreshMe } from '../../lib/session';
import { errorMessage, trpc } from '../../lib/trpc';
import { Button, FormError, Loading, StatusBadge, TextField, formatDate, formatDateTime, toast } from '../../ui';

const validateName = lazyValidator<UpdateOwnNameInput, UpdateOwnNameInput>(() =>
  Promise.all([import('../../../shared/schemas/account'), import('../../lib/zod-form')]).then(([s, f]) => f.zodValidator(s.updateOwnNameInput)),
);

/** "Your account" on the developer home: details with the organisation, the name (editable) and the terms accepted. */
export function AccountCard() {
  const [account, { mutate }] = createResource(() => trpc.account.get.query());
  const [editing, setEditing] = createSignal(false);
  return (
    <section class="card" aria-labelledby="account-title" data-testid="account-card">
      <div class="card-header">
        <h2 id="account-title" class="card-title">
          Your account
        </h2>
      </div>
      <FormError message={account.error ? errorMessage(account.error) : null} />
      <Show when={account()} fallback={<Loading />}>
        {(a) => (
          <>
            <Show
              when={editing()}
              fallback={
                <dl class="details">
                  <dt>Name</dt>
                  <dd class="long-value" data-testid="account-name">
                    {a().firstName} {a().lastName}
                  </dd>
                  <dt>Email</dt>
                  <dd class="long-value">{a().email}</dd>
                  <dt>Organisation</dt>
                  <dd class="long-value" data-testid="account-organisation">
                    {a().organisationName}
                  </dd>
                  <dt>Role</dt>
                  <dd>{a().role === 'admin' ? 'Administrator' : 'Developer'}</dd>
                  <dt>Status</dt>
                  <dd>
                    <StatusBadge status={a().status} />
                  </dd>
                  <dt>Account created</dt>
                  <dd>
                    <time datetime={a().createdAt}>{formatDate(a().createdAt)}</time>
                  </dd>
                  <Show when={a().terms}>
                    {(t) => (
                      <>
                        <dt>Terms</dt>
                        <dd data-testid="account-terms">
                          <Show when={t().acceptedVersion !== null} fallback="Not accepted yet">
                            You accepted version {t().acceptedVersion} ({t().acceptedTitle}) on{' '}
                            <time datetime={t().acceptedAt!}>{formatDateTime(t().acceptedAt)}</time>
                            <Show when={t().acceptedVersion !== t().currentVersion}>. Version {t().currentVersion} is now in force.</Show>
                          </Show>
                        </dd>
                      </>
                    )}
                  </Show>
                </dl>
              }
            >
              <NameForm
                account={a()}
                onDone={(saved) => {
                  if (saved) mutate(saved);
                  setEditing(false);
                }}
              />
            </Show>
            <Show when={!editing()}>
              <div class="card-footer">
                <Button small onClick={() => setEditing(true)}>
                  Change name
                </Button>
                <a class="btn btn-secondary btn-sm" href="/change-password">
                  Change password
                </a>
              </div>
            </Show>
          </>
        )}
      </Show>
    </section>
  );
}

function NameForm(props: { account: AccountOutput; onDone: (saved: AccountOutput | null) => void }) {
  // eslint-disable-next-line solid/reactivity -- the form starts from the name shown when it opens
  const form = createForm(validateName, { firstName: props.account.firstName, lastName: props.account.lastName });
  const onSubmit = (e: SubmitEvent) => {
    e.preventDefault();
    void form.submit(async (data) => {
      const saved = await trpc.account.updateName.mutate(data);
      void refreshMe(); // the greeting and the admin sidebar show the name
      toast('Your name was changed', 'success');
      props.onDone(saved);
    });
  };
  return (
    <form class="form" novalidate onSubmit={onSubmit} aria-label="Change name" aria-describedby="name-error">
      <FormError id="name-error" message={form.formError()} />
      <div class="grid-2">
        <TextField label="First name" name="firstName" autocomplete="given-name" required autofocus maxLength={NAME_MAX} {...form.field('firstName')} />
        <TextField label="Last name" name="lastName" autocomplete="family-name" required maxLength={NAME_MAX} {...form.field('lastName')} />
      </div>
      <div class="form-actions">
        <Button onClick={() => props.onDone(null)}>Cancel</Button>
        <Button type="submit" variant="primary" busy={form.busy()}>
          Save name
        </Button>
      </div>
    </form>
  );
}
