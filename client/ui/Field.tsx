import { createUniqueId, For, Show, type JSX } from 'solid-js';

/** A plain value or an accessor returning it (e.g. a signal getter). */
export type MaybeAccessor<T> = T | (() => T);

function read<T>(value: MaybeAccessor<T>): T {
  return typeof value === 'function' ? (value as () => T)() : value;
}

interface FieldBase {
  label: JSX.Element;
  name: string;
  /** Inline error shown under the control; sets aria-invalid. */
  error?: string | null | false;
  /** Helper text under the control (linked through aria-describedby). */
  hint?: JSX.Element;
  required?: boolean;
  disabled?: boolean;
  /** Overrides the generated id. */
  id?: string;
  class?: string;
}

/** Shared id/aria wiring for a labelled control. */
function useFieldIds(props: { id?: string; name: string; error?: string | null | false; hint?: JSX.Element }) {
  const uid = createUniqueId();
  const id = () => props.id ?? `f-${props.name}-${uid}`;
  const errorId = () => `${id()}-error`;
  const hintId = () => `${id()}-hint`;
  const describedBy = () => {
    const ids: string[] = [];
    if (props.error) ids.push(errorId());
    if (props.hint) ids.push(hintId());
    return ids.length ? ids.join(' ') : undefined;
  };
  return { id, errorId, hintId, describedBy };
}

function FieldMessages(props: { error?: string | null | false; hint?: JSX.Element; errorId: string; hintId: string }) {
  return (
    <>
      <Show when={props.hint}>
        <p class="field-hint" id={props.hintId}>
          {props.hint}
        </p>
      </Show>
      <Show when={props.error}>
        <p class="field-error" id={props.errorId}>
          {props.error}
        </p>
      </Show>
    </>
  );
}

/** What FieldShell hands its control: the id the label points at, and the aria wiring to its messages. */
interface ControlAria {
  readonly id: string;
  readonly invalid: 'true' | undefined;
  readonly describedBy: string | undefined;
}

/**
 * The frame every labelled control shares: the label (with the required mark), the control, then
 * its hint and error, linked to the control through aria-describedby.
 */
function FieldShell(props: FieldBase & { children: (aria: ControlAria) => JSX.Element }): JSX.Element {
  const ids = useFieldIds(props);
  const aria: ControlAria = {
    get id() {
      return ids.id();
    },
    get invalid() {
      return props.error ? 'true' : undefined;
    },
    get describedBy() {
      return ids.describedBy();
    },
  };
  return (
    <div class={`field${props.class ? ` ${props.class}` : ''}`}>
      <Label for={ids.id()} required={props.required}>
        {props.label}
      </Label>
      {props.children(aria)}
      <FieldMessages error={props.error} hint={props.hint} errorId={ids.errorId()} hintId={ids.hintId()} />
    </div>
  );
}

function Label(props: { for: string; required?: boolean; children: JSX.Element }) {
  return (
    <label for={props.for}>
      {props.children}
      <Show when={props.required}>
        <span class="required" aria-hidden="true">
          *
        </span>
      </Show>
    </label>
  );
}

// ---------------------------------------------------------------------------

interface TextFieldProps extends FieldBase {
  type?: 'text' | 'email' | 'password' | 'url' | 'search' | 'tel' | 'number' | 'date' | 'datetime-local';
  value: MaybeAccessor<string>;
  onInput: (value: string) => void;
  onBlur?: () => void;
  autocomplete?: string;
  maxLength?: number;
  readOnly?: boolean;
  placeholder?: string;
  autofocus?: boolean;
  inputMode?: 'text' | 'email' | 'numeric' | 'decimal' | 'tel' | 'url' | 'search' | 'none';
}

export function TextField(props: TextFieldProps): JSX.Element {
  return (
    <FieldShell {...props}>
      {(aria) => (
        <input
          id={aria.id}
          name={props.name}
          type={props.type ?? 'text'}
          value={read(props.value)}
          onInput={(e) => props.onInput(e.currentTarget.value)}
          onBlur={() => props.onBlur?.()}
          autocomplete={props.autocomplete}
          required={props.required}
          disabled={props.disabled}
          readOnly={props.readOnly}
          maxLength={props.maxLength}
          placeholder={props.placeholder}
          autofocus={props.autofocus}
          inputmode={props.inputMode}
          aria-invalid={aria.invalid}
          aria-describedby={aria.describedBy}
        />
      )}
    </FieldShell>
  );
}

// ---------------------------------------------------------------------------

interface TextAreaFieldProps extends FieldBase {
  value: MaybeAccessor<string>;
  onInput: (value: string) => void;
  onBlur?: () => void;
  rows?: number;
  maxLength?: number;
  readOnly?: boolean;
  placeholder?: string;
}

export function TextAreaField(props: TextAreaFieldProps): JSX.Element {
  return (
    <FieldShell {...props}>
      {(aria) => (
        <textarea
          id={aria.id}
          name={props.name}
          rows={props.rows ?? 4}
          value={read(props.value)}
          onInput={(e) => props.onInput(e.currentTarget.value)}
          onBlur={() => props.onBlur?.()}
          required={props.required}
          disabled={props.disabled}
          readOnly={props.readOnly}
          maxLength={props.maxLength}
          placeholder={props.placeholder}
          aria-invalid={aria.invalid}
          aria-describedby={aria.describedBy}
        />
      )}
    </FieldShell>
  );
}

// ---------------------------------------------------------------------------

interface SelectOption {
  value: string;
  label: string;
  disabled?: boolean;
}

interface SelectFieldProps extends FieldBase {
  options: SelectOption[];
  value: MaybeAccessor<string>;
  /** Called with the newly selected value. */
  onChange?: (value: string) => void;
  /** Alias of onChange, for symmetry with TextField. */
  onInput?: (value: string) => void;
  /** Optional first, empty-valued option (e.g. "Choose…"). */
  placeholder?: string;
}

export function SelectField(props: SelectFieldProps): JSX.Element {
  return (
    <FieldShell {...props}>
      {(aria) => (
        <select
          id={aria.id}
          name={props.name}
          value={read(props.value)}
          onChange={(e) => {
            const v = e.currentTarget.value;
            props.onChange?.(v);
            props.onInput?.(v);
          }}
          required={props.required}
          disabled={props.disabled}
          aria-invalid={aria.invalid}
          aria-describedby={aria.describedBy}
        >
          <Show when={props.placeholder !== undefined}>
            <option value="" disabled={props.required}>
              {props.placeholder}
            </option>
          </Show>
          <For each={props.options}>
            {(opt) => (
              <option value={opt.value} disabled={opt.disabled} selected={opt.value === read(props.value)}>
                {opt.label}
              </option>
            )}
          </For>
        </select>
      )}
    </FieldShell>
  );
}

// ---------------------------------------------------------------------------

interface CheckboxFieldProps extends FieldBase {
  checked: MaybeAccessor<boolean>;
  onChange: (checked: boolean) => void;
  /** 'switch' renders a toggle (role="switch", class "switch") for boolean settings. */
  variant?: 'checkbox' | 'switch';
}

export function CheckboxField(props: CheckboxFieldProps): JSX.Element {
  const ids = useFieldIds(props);
  const isSwitch = () => props.variant === 'switch';
  return (
    <div class={`field checkbox-row${isSwitch() ? ' switch-row' : ''}${props.class ? ` ${props.class}` : ''}`}>
      <input
        id={ids.id()}
        name={props.name}
        type="checkbox"
        class={isSwitch() ? 'switch' : undefined}
        role={isSwitch() ? 'switch' : undefined}
        checked={read(props.checked)}
        onChange={(e) => props.onChange(e.currentTarget.checked)}
        required={props.required}
        disabled={props.disabled}
        aria-invalid={props.error ? 'true' : undefined}
        aria-describedby={ids.describedBy()}
      />
      <div class="checkbox-text">
        <Label for={ids.id()} required={props.required}>
          {props.label}
        </Label>
        <FieldMessages error={props.error} hint={props.hint} errorId={ids.errorId()} hintId={ids.hintId()} />
      </div>
    </div>
  );
}
