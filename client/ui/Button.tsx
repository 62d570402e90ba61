import { Show, splitProps, type JSX } from 'solid-js';

type ButtonVariant = 'primary' | 'secondary' | 'danger' | 'ghost';

interface ButtonProps extends Omit<JSX.ButtonHTMLAttributes<HTMLButtonElement>, 'type' | 'disabled' | 'onClick' | 'children'> {
  /** Visual style; defaults to 'secondary'. */
  variant?: ButtonVariant;
  /** Shows a spinner, sets aria-busy and disables the button. */
  busy?: boolean;
  type?: 'button' | 'submit' | 'reset';
  disabled?: boolean;
  onClick?: (event: MouseEvent & { currentTarget: HTMLButtonElement }) => void;
  /** Small size (class "btn-sm"). */
  small?: boolean;
  children?: JSX.Element;
}

export function Button(props: ButtonProps): JSX.Element {
  const [local, rest] = splitProps(props, ['variant', 'busy', 'type', 'disabled', 'onClick', 'small', 'children', 'class']);
  return (
    <button
      {...rest}
      type={local.type ?? 'button'}
      class={`btn btn-${local.variant ?? 'secondary'}${local.small ? ' btn-sm' : ''}${local.class ? ` ${local.class}` : ''}`}
      disabled={local.disabled || local.busy}
      aria-busy={local.busy ? 'true' : undefined}
      onClick={(e) => local.onClick?.(e)}
    >
      <Show when={local.busy}>
        <span class="spinner" aria-hidden="true" />
      </Show>
      {local.children}
    </button>
  );
}
