import type { JSX } from 'solid-js';
import { Show } from 'solid-js';

/** The centered card used by every page a visitor sees before logging in. */
export function AuthLayout(props: { title: string; subtitle?: JSX.Element; wide?: boolean; children: JSX.Element; footer?: JSX.Element }) {
  return (
    <main class="auth-page" id="main">
      <a class="wordmark" href="/">
        Admit
      </a>
      <section class={`auth-card${props.wide ? ' wide' : ''}`} aria-labelledby="auth-title">
        <h1 id="auth-title">{props.title}</h1>
        <Show when={props.subtitle}>
          <p class="auth-subtitle">{props.subtitle}</p>
        </Show>
        {props.children}
      </section>
      <Show when={props.footer}>
        <p class="auth-footer">{props.footer}</p>
      </Show>
    </main>
  );
}
