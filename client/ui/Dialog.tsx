import { createUniqueId, onCleanup, onMount, Show, type JSX } from 'solid-js';

interface DialogProps {
  open: boolean;
  title: string;
  onClose: () => void;
  children?: JSX.Element;
  /** Buttons row rendered in .dialog-footer. */
  footer?: JSX.Element;
  /** Optional description line under the title (linked via aria-describedby). */
  description?: string;
  /** Close when the backdrop is clicked (default true). */
  closeOnBackdrop?: boolean;
  /** Extra class on the <dialog>, e.g. "wide". */
  class?: string;
}

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/**
 * Modal dialog on the native <dialog> element (showModal). The content is mounted only while `open`
 * is true, so forms inside start fresh each time. Escape, the × button and (by default) a backdrop
 * click call onClose(); the parent owns the open state. Focus moves inside on open and returns to the
 * previously focused element on close. Falls back to a non-native modal when showModal is missing
 * (e.g. jsdom).
 */
export function Dialog(props: DialogProps): JSX.Element {
  return (
    <Show when={props.open}>
      <DialogInner {...props} />
    </Show>
  );
}

function DialogInner(props: DialogProps): JSX.Element {
  let el!: HTMLDialogElement;
  let body!: HTMLDivElement;
  let pressedOnBackdrop = false;
  const titleId = createUniqueId();
  const descId = `${titleId}-desc`;
  const previous = typeof document !== 'undefined' ? (document.activeElement as HTMLElement | null) : null;
  const native = typeof HTMLDialogElement !== 'undefined' && typeof HTMLDialogElement.prototype.showModal === 'function';

  onMount(() => {
    if (native) {
      try {
        el.showModal();
      } catch {
        el.setAttribute('open', '');
      }
    } else {
      el.setAttribute('open', '');
    }
    const target = body.querySelector<HTMLElement>('[autofocus]') ?? body.querySelector<HTMLElement>(FOCUSABLE) ?? body;
    target.focus();
  });

  onCleanup(() => {
    if (native && el.open) {
      try {
        el.close();
      } catch {
        /* already detached */
      }
    }
    if (previous && previous.isConnected && typeof previous.focus === 'function') previous.focus();
  });

  const requestClose = () => props.onClose();

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      requestClose();
      return;
    }
    // Focus trap for the fallback (native modal dialogs make the rest of the page inert already).
    if (e.key === 'Tab' && !native) {
      const items = Array.from(el.querySelectorAll<HTMLElement>(FOCUSABLE));
      const first = items[0];
      const last = items[items.length - 1];
      if (!first || !last) {
        e.preventDefault();
        return;
      }
      if (e.shiftKey && document.activeElement === first) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && document.activeElement === last) {
        e.preventDefault();
        first.focus();
      }
    }
  };

  return (
    <dialog
      ref={el}
      class={`dialog${native ? '' : ' dialog-fallback'}${props.class ? ` ${props.class}` : ''}`}
      aria-labelledby={titleId}
      aria-describedby={props.description ? descId : undefined}
      aria-modal={native ? undefined : 'true'}
      onKeyDown={onKeyDown}
      onCancel={(e) => {
        // Native Escape: keep the element open and let the parent decide.
        e.preventDefault();
        requestClose();
      }}
      onClose={() => {
        // Closed natively anyway (e.g. the browser ignored preventDefault): sync the parent state.
        if (props.open) requestClose();
      }}
      onMouseDown={(e) => {
        pressedOnBackdrop = e.target === el;
      }}
      onClick={(e) => {
        if (e.target === el && pressedOnBackdrop && props.closeOnBackdrop !== false) requestClose();
        pressedOnBackdrop = false;
      }}
    >
      <div class="dialog-header">
        <div>
          <h2 id={titleId}>{props.title}</h2>
          <Show when={props.description}>
            <p class="muted" id={descId}>
              {props.description}
            </p>
          </Show>
        </div>
        <button type="button" class="dialog-close" aria-label="Close" onClick={requestClose}>
          ×
        </button>
      </div>
      <div class="dialog-body" ref={body} tabindex="-1">
        {props.children}
      </div>
      <Show when={props.footer}>
        <div class="dialog-footer">{props.footer}</div>
      </Show>
    </dialog>
  );
}
