import { Show, type JSX } from 'solid-js';

/** Form-level error banner. Renders nothing when `message` is empty; role="alert" so it is announced. */
export function FormError(props: { message?: string | null | false; id?: string }): JSX.Element {
  return (
    <Show when={props.message}>
      {(message) => (
        <div class="form-error" role="alert" id={props.id}>
          {message()}
        </div>
      )}
    </Show>
  );
}
