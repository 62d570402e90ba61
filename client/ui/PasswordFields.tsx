import { Show, createEffect, createResource, createSignal, on, untrack, type JSX } from 'solid-js';
import { PASSWORD_MAX, PASSWORD_MIN } from '../../shared/constants';
import { trpc } from '../lib/trpc';
import { TextField, type MaybeAccessor } from './Field';
import type { Strength } from './password-strength';

/** A text field's value, input handler and error, as form.field(key) returns them. */
interface FieldBinding {
  value: MaybeAccessor<string>;
  onInput: (value: string) => void;
  readonly error?: string | null | false;
}

// The minimum length is an admin setting (Settings > Sessions & passwords): asked once per page load.
let policy: Promise<{ minLength: number; maxLength: number }> | null = null;
function passwordPolicy() {
  policy ??= trpc.auth.passwordPolicy.query().catch(() => {
    policy = null;
    return { minLength: PASSWORD_MIN, maxLength: PASSWORD_MAX };
  });
  return policy;
}

// The strength meter and its dictionaries are a chunk of their own, fetched on the first keystroke.
let meter: Promise<typeof import('./password-strength')> | null = null;
const loadMeter = () => (meter ??= import('./password-strength'));

const read = (v: MaybeAccessor<string>) => (typeof v === 'function' ? v() : v);

/**
 * Choosing a password: the password field and, where the person types it twice, its confirmation
 * (`confirmPassword`). Setup, registration, accepting an invite, reset, change and "Add new user"
 * all use it, so the labels, hint, strength meter and autocomplete read the same everywhere.
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
  /** Words the meter should treat as guessable (the person's name and email). */
  userInputs?: string[];
}): JSX.Element {
  const [rules] = createResource(passwordPolicy);
  const [strength, setStrength] = createSignal<Strength | null>(null);
  createEffect(
    on(
      () => read(props.password.value),
      (value) => {
        if (!value) return setStrength(null);
        void loadMeter().then((m) =>
          // Only the latest keystroke's answer counts (read now, once: nothing here tracks).
          untrack(() => {
            if (read(props.password.value) === value) setStrength(m.passwordStrength(value, props.userInputs ?? []));
          }),
        );
      },
    ),
  );
  const min = () => rules()?.minLength ?? PASSWORD_MIN;
  const id = () => `${props.name ?? 'password'}-strength`;
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
        hint={props.hint ?? `At least ${min()} characters (up to ${PASSWORD_MAX}). A few unrelated words make a strong password; common passwords are refused.`}
        {...props.password}
      />
      <Show when={strength()}>
        {(s) => (
          <div class="password-strength" id={id()} data-score={s().score} aria-live="polite">
            <meter min={0} max={4} low={2} high={3} optimum={4} value={s().score} aria-label="Password strength" style={{ width: '100%' }} />
            <span class="muted">
              Strength: <strong>{s().label}</strong>
              <Show when={s().advice}> — {s().advice}</Show>
            </span>
          </div>
        )}
      </Show>
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
