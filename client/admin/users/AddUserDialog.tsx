import { useQuery, useQueryClient } from '@tanstack/solid-query';
import { Show, createEffect, createSignal, createUniqueId } from 'solid-js';
import { NAME_MAX, PASSWORD_MAX } from '../../../shared/constants';
import { addUserInput, type AddUserInput, type AddUserOutput } from '../../../shared/schemas/user-admin';
import { createForm, type Validator } from '../../lib/form';
import { trpc } from '../../lib/trpc';
import { zodValidator } from '../../lib/zod-form';
import { Button, CheckboxField, Dialog, FormError, PasswordFields, SelectField, TextField, toast } from '../../ui';
import { GENERAL_SETTINGS_KEY, ORGANISATIONS_KEY, STATS_KEY } from '../query-keys';

interface AddUserValues {
  firstName: string;
  lastName: string;
  email: string;
  organisationId: string;
  mode: 'password' | 'invite';
  password: string;
  mustChangePassword: boolean;
  sendInvite: boolean;
}

/** Only the chosen way's fields are sent: the server refuses a password together with an invite. */
export function toAddUserInput(v: AddUserValues): AddUserInput {
  const base = { firstName: v.firstName, lastName: v.lastName, email: v.email, organisationId: v.organisationId };
  return v.mode === 'password'
    ? { ...base, mode: 'password', password: v.password, mustChangePassword: v.mustChangePassword }
    : { ...base, mode: 'invite', sendInvite: v.sendInvite };
}

const validateAddUser: Validator<AddUserValues, ReturnType<typeof addUserInput.parse>> = (v) => zodValidator(addUserInput)(toAddUserInput(v));

/** The "Add new user" page action: the button, its dialog, and the confirmation toast. */
export function AddUserButton(props: { onAdded?: (result: AddUserOutput) => void }) {
  const queryClient = useQueryClient();
  const [open, setOpen] = createSignal(false);
  const onAdded = (r: AddUserOutput) => {
    const name = `${r.user.firstName} ${r.user.lastName}`;
    toast(
      r.user.status === 'active'
        ? `Added ${name}: the account is active`
        : r.invite
          ? `Invited ${name}: the invite email is on its way`
          : `Added ${name}: send the invite from their page when ready`,
      'success',
    );
    void queryClient.invalidateQueries({ queryKey: STATS_KEY });
    props.onAdded?.(r);
  };
  return (
    <>
      <Button variant="primary" onClick={() => setOpen(true)}>
        Add new user
      </Button>
      <AddUserDialog open={open()} onClose={() => setOpen(false)} onAdded={onAdded} />
    </>
  );
}

/** API Consumers > Users > "Add new user". */
export function AddUserDialog(props: { open: boolean; onClose: () => void; onAdded: (result: AddUserOutput) => void }) {
  return (
    <Dialog
      open={props.open}
      title="Add new user"
      description="Set a password for the user, or invite them to choose their own."
      onClose={props.onClose}
      class="wide"
    >
      <AddUserForm onClose={props.onClose} onAdded={props.onAdded} />
    </Dialog>
  );
}

function AddUserForm(props: { onClose: () => void; onAdded: (result: AddUserOutput) => void }) {
  const organisations = useQuery(() => ({ queryKey: ORGANISATIONS_KEY, queryFn: () => trpc.admin.organisations.list.query() }));
  const settings = useQuery(() => ({ queryKey: GENERAL_SETTINGS_KEY, queryFn: () => trpc.admin.settings.general.get.query() }));
  const form = createForm(validateAddUser, {
    firstName: '',
    lastName: '',
    email: '',
    organisationId: '',
    mode: 'password',
    password: '',
    mustChangePassword: true,
    sendInvite: true,
  });
  const radioName = `add-user-mode-${createUniqueId()}`;

  // The default organisation is preselected once the list is in.
  createEffect(() => {
    const items = organisations.data?.items;
    if (items && !form.values().organisationId) form.set('organisationId', items.find((o) => o.isDefault)?.id ?? items[0]?.id ?? '');
  });

  const onSubmit = (e: SubmitEvent) => {
    e.preventDefault();
    // The handlers are read now, at submit time; the callback runs after the request.
    const onAdded = props.onAdded;
    const onClose = props.onClose;
    void form.submit(async (data) => {
      const result = await trpc.admin.users.add.mutate(data);
      onAdded(result);
      onClose();
    });
  };

  const lifetime = () => settings.data?.inviteLifetimeDays ?? 7;

  return (
    <form class="form" onSubmit={onSubmit} novalidate aria-label="Add new user">
      <FormError message={form.formError()} />
      <div class="grid-2">
        <TextField label="First name" name="firstName" required autofocus maxLength={NAME_MAX} autocomplete="off" {...form.field('firstName')} />
        <TextField label="Last name" name="lastName" required maxLength={NAME_MAX} autocomplete="off" {...form.field('lastName')} />
      </div>
      <TextField label="Email" name="email" type="email" required autocomplete="off" {...form.field('email')} />
      <SelectField
        label="Organisation"
        name="organisationId"
        required
        options={(organisations.data?.items ?? []).map((o) => ({ value: o.id, label: o.name }))}
        placeholder={organisations.isPending ? 'Loading…' : 'Choose an organisation'}
        value={() => form.values().organisationId}
        onChange={(v) => form.set('organisationId', v)}
        error={form.error('organisationId')}
      />

      <fieldset class="stack-sm" style={{ border: '0', padding: '0', margin: '0' }}>
        <legend class="label" style={{ 'font-weight': '500', 'margin-bottom': 'var(--space-2)' }}>
          How will the user get a password?
        </legend>
        <div class="checkbox-row">
          <input
            type="radio"
            id={`${radioName}-password`}
            name={radioName}
            value="password"
            checked={form.values().mode === 'password'}
            onChange={() => form.set('mode', 'password')}
          />
          <div class="checkbox-text">
            <label for={`${radioName}-password`}>Set password</label>
            <p class="field-hint">The account is active at once; you tell the user the password.</p>
          </div>
        </div>
        <Show when={form.values().mode === 'password'}>
          <div class="stack-sm" style={{ 'padding-left': '28px' }}>
            <PasswordFields password={form.field('password')} maxLength={PASSWORD_MAX} />
            <CheckboxField
              label="User must change password at the next login"
              name="mustChangePassword"
              checked={() => form.values().mustChangePassword}
              onChange={(v) => form.set('mustChangePassword', v)}
              error={form.error('mustChangePassword')}
            />
          </div>
        </Show>
        <div class="checkbox-row">
          <input
            type="radio"
            id={`${radioName}-invite`}
            name={radioName}
            value="invite"
            checked={form.values().mode === 'invite'}
            onChange={() => form.set('mode', 'invite')}
          />
          <div class="checkbox-text">
            <label for={`${radioName}-invite`}>Send an invite</label>
            <p class="field-hint">No password now: the user is invited and chooses one from the emailed link.</p>
          </div>
        </div>
        <Show when={form.values().mode === 'invite'}>
          <div class="stack-sm" style={{ 'padding-left': '28px' }}>
            <CheckboxField
              label="Send the invite email now"
              name="sendInvite"
              hint={`The link works once and expires after ${lifetime()} ${lifetime() === 1 ? 'day' : 'days'}. Otherwise send it later from the user's page.`}
              checked={() => form.values().sendInvite}
              onChange={(v) => form.set('sendInvite', v)}
              error={form.error('sendInvite')}
            />
          </div>
        </Show>
      </fieldset>

      <div class="form-actions">
        <Button onClick={props.onClose}>Cancel</Button>
        <Button type="submit" variant="primary" busy={form.busy()}>
          {form.values().mode === 'invite' && form.values().sendInvite ? 'Add user and send invite' : 'Add user'}
        </Button>
      </div>
    </form>
  );
}
