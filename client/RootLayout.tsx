import { useLocation } from '@solidjs/router';
import { createEffect, on, onCleanup, type JSX } from 'solid-js';

const APP_NAME = 'Admit';
/** How long to wait for a page (loaded on demand, often after its data) to show its heading. */
const HEADING_WAIT_MS = 5000;

/** The page's main heading: the first h1 inside <main>, or anywhere. */
function pageHeading(): HTMLHeadingElement | null {
  return document.querySelector<HTMLHeadingElement>('main h1') ?? document.querySelector<HTMLHeadingElement>('h1');
}

/** "Users · Admit": the heading's text, spaces collapsed. */
export function documentTitle(heading: string | null | undefined): string {
  const text = (heading ?? '').replace(/\s+/g, ' ').trim();
  return text ? `${text} · ${APP_NAME}` : APP_NAME;
}

/** Moves focus to the heading (made focusable by script only) without scrolling past the top. */
function focusHeading(h: HTMLElement) {
  if (!h.hasAttribute('tabindex')) h.setAttribute('tabindex', '-1');
  h.focus({ preventScroll: true });
  window.scrollTo({ top: 0 });
}

/**
 * Around every route: the skip link (the first Tab stop), and after each route change the
 * document title from the page heading and focus on that heading, so a screen reader announces
 * the new page and the next Tab starts from it (not from wherever the old page left focus).
 * The first page load keeps the browser's own focus (the top of the document).
 */
export function RootLayout(props: { children?: JSX.Element }): JSX.Element {
  const location = useLocation();
  let observer: MutationObserver | undefined;
  /** The heading the last route settled on: a new page's heading is any other (or the same one renamed). */
  let settled: { el: HTMLHeadingElement; text: string | null } | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stop = () => {
    observer?.disconnect();
    observer = undefined;
    clearTimeout(timer);
  };

  createEffect(
    on(
      () => location.pathname,
      (_path, previous) => {
        stop();
        const moveFocus = previous !== undefined;
        // The old page may still be on screen for a moment (or the new one already rendered, when
        // its code was loaded before): wait for a heading other than the last page's.
        const old = settled;
        const settle = (h: HTMLHeadingElement) => {
          settled = { el: h, text: h.textContent };
          document.title = documentTitle(h.textContent);
          if (moveFocus) focusHeading(h);
        };
        const fresh = () => {
          const h = pageHeading();
          return h && (!moveFocus || !old || h !== old.el || h.textContent !== old.text) ? h : null;
        };
        const now = fresh();
        if (now) return settle(now);
        observer = new MutationObserver(() => {
          const h = fresh();
          if (h) {
            stop();
            settle(h);
          }
        });
        observer.observe(document.body, { childList: true, subtree: true, characterData: true });
        timer = setTimeout(stop, HEADING_WAIT_MS);
      },
    ),
  );
  // A heading whose text changes on the same page (e.g. the user's name once loaded) renames the tab.
  const titleObserver = new MutationObserver(() => {
    const h = pageHeading();
    if (h) document.title = documentTitle(h.textContent);
  });
  titleObserver.observe(document.body, { childList: true, subtree: true, characterData: true });
  onCleanup(() => {
    stop();
    titleObserver.disconnect();
  });

  const skip = (e: MouseEvent) => {
    e.preventDefault();
    const target = pageHeading() ?? document.querySelector<HTMLElement>('main');
    if (!target) return;
    if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
    target.focus();
  };

  return (
    <>
      <a class="skip-link" href="#main" onClick={skip}>
        Skip to main content
      </a>
      {props.children}
    </>
  );
}
