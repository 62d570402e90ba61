import type { JSX } from 'solid-js';

/** The busy placeholder shown while a page or a section loads. */
export function Loading(props: { children?: JSX.Element }): JSX.Element {
  return (
    <div class="loading" aria-busy="true">
      {props.children ?? 'Loading…'}
    </div>
  );
}
