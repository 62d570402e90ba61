import { Show, type JSX } from 'solid-js';
import { PASSWORD_MAX, PASSWORD_MIN } from '../../shared/constants';
import { TextField, type MaybeAccessor } from './Field';

/** A text field's value, input handler and error, as form.field(key) returns them. */
interface FieldBinding {
  value: MaybeAccessor<string>;
  onInput: (value: string) => void;
  readonly error?: string | null | false;
}

/**
 * Choosing a password: the password field and, where the person types it twice, its confirmation
 * (`confirmPassword`). Setup, registration, accepting an invite, reset, change and "Add new user"
 * all use it, so the labels, hint and autocomplete read the same everywhere.
 */
export function PasswordFields(props: {
  password: FieldBinding;
  confirm?: FieldBinding;
  /** "New password" / "Confirm new password", where an old one exists (reset, change). */
  fresh?: boolean;
  /** The password field's name; 'password' unless the form calls it otherwise (change: 'newPassword'). */
  name?: string;
  hint?: string;
  maxLength?: number;
  autofocus?: boolean;
}): JSX.Element {
  return (
    <>
      <TextField
        label={props.fresh ? 'New password' : 'Password'}
        name={props.name ?? 'password'}
        type="password"
        autocomplete="new-password"
        required
        autofocus={props.autofocus}
        maxLength={props.maxLength}
        hint={props.hint ?? `${PASSWORD_MIN} to ${PASSWORD_MAX} characters`}
        {...props.password}
      />
      <Show when={props.confirm}>
        {(confirm) => (
          <TextField
            label={props.fresh ? 'Confirm new password' : 'Confirm password'}
            name="confirmPassword"
            type="password"
            autocomplete="new-password"
            required
            maxLength={props.maxLength}
            {...confirm()}
          />
        )}
      </Show>
    </>
  );
}
