import { useQuery } from '@tanstack/solid-query';
import { Show, untrack } from 'solid-js';
import { NAME_MAX, type UserRole } from '../../../shared/constants';
import { updateUserInput, type UpdateUserOutput } from '../../../shared/schemas/user-admin';
import { createForm, type Validator } from '../../lib/form';
import { useMe } from '../../lib/session';
import { errorReason, trpc } from '../../lib/trpc';
import { zodValidator } from '../../lib/zod-form';
import { Button, Dialog, FormError, SelectField, TextField } from '../../ui';
import { ORGANISATIONS_KEY } from '../query-keys';

/** What the dialog needs of the user: the values it edits and the version the admin saw. */
export interface EditableUser {
  id: string;
  firstName: string;
  lastName: string;
  organisation: { id: string; name: string };
  role: UserRole;
  version: number;
}

interface EditValues {
  firstName: string;
  lastName: string;
  organisationId: string;
  role: UserRole;
}

/** Edit user (admin): name, organisation and role. */
export function EditUserDialog(props: {
  open: boolean;
  user: EditableUser;
  onClose: () => void;
  onSaved: (result: Pick<UpdateUserOutput, 'user'>) => void;
  /** Someone else changed the user first: the page reloads it. */
  onConflict: () => void;
}) {
  return (
    <Dialog open={props.open} title="Edit user" onClose={props.onClose}>
      <EditUserForm {...props} />
    </Dialog>
  );
}

function EditUserForm(props: { user: EditableUser; onClose: () => void; onSaved: (r: Pick<UpdateUserOutput, 'user'>) => void; onConflict: () => void }) {
  const me = useMe();
  const organisations = useQuery(() => ({ queryKey: ORGANISATIONS_KEY, queryFn: () => trpc.admin.organisations.list.query() }));
  const validate: Validator<EditValues, ReturnType<typeof updateUserInput.parse>> = (v) =>
    zodValidator(updateUserInput)({ ...v, userId: props.user.id, expectedVersion: props.user.version });
  // The form starts from the user as it is when the dialog opens (a one-time read, on purpose).
  const form = createForm(
    validate,
    untrack(() => ({
      firstName: props.user.firstName,
      lastName: props.user.lastName,
      organisationId: props.user.organisation.id,
      role: props.user.role,
    })),
  );

  const organisationOptions = () => {
    const items = organisations.data?.items ?? [];
    // Until the list is in, the current organisation is shown as the only choice.
    return items.length ? items.map((o) => ({ value: o.id, label: o.name })) : [{ value: props.user.organisation.id, label: props.user.organisation.name }];
  };
  const demotingSelf = () => me.data?.user?.id === props.user.id && props.user.role === 'admin' && form.values().role === 'developer';

  const onSubmit = (e: SubmitEvent) => {
    e.preventDefault();
    // The handlers are read now, at submit time; the callback runs after the request.
    const onSaved = props.onSaved;
    const onClose = props.onClose;
    const onConflict = props.onConflict;
    void form.submit(async (data) => {
      try {
        const result = await trpc.admin.users.update.mutate(data);
        onSaved(result);
        onClose();
      } catch (err) {
        if (errorReason(err) === 'USER_CHANGED') onConflict();
        throw err;
      }
    });
  };

  return (
    <form class="form" onSubmit={onSubmit} novalidate aria-label="Edit user">
      <FormError message={form.formError()} />
      <div class="grid-2">
        <TextField label="First name" name="firstName" required autofocus maxLength={NAME_MAX} {...form.field('firstName')} />
        <TextField label="Last name" name="lastName" required maxLength={NAME_MAX} {...form.field('lastName')} />
      </div>
      <SelectField
        label="Organisation"
        name="organisationId"
        required
        options={organisationOptions()}
        value={() => form.values().organisationId}
        onChange={(v) => form.set('organisationId', v)}
        error={form.error('organisationId')}
      />
      <SelectField
        label="Role"
        name="role"
        required
        options={[
          { value: 'developer', label: 'Developer' },
          { value: 'admin', label: 'Administrator' },
        ]}
        hint="Administrators manage users and settings; developers use the portal."
        value={() => form.values().role}
        onChange={(v) => form.set('role', v as UserRole)}
        error={form.error('role')}
      />
      <Show when={demotingSelf()}>
        <div class="alert alert-warning" role="status">
          You are removing your own administrator role: you will lose access to the admin area.
        </div>
      </Show>
      <div class="form-actions">
        <Button onClick={props.onClose}>Cancel</Button>
        <Button type="submit" variant="primary" busy={form.busy()}>
          Save changes
        </Button>
      </div>
    </form>
  );
}
