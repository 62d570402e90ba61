import { onCleanup, onMount } from 'solid-js';

/** Room between the toasts and the end of the page, px. */
const GAP = 8;

/**
 * On phones the toasts float over the bottom of the screen (styles.css: .toast-dock and .toaster
 * are fixed there below 768 px). While any show, the page ends that much lower (`--toast-space` on
 * <html>, read by styles.css as the body's bottom padding and the scroll padding), so its last
 * lines and their buttons can be scrolled clear of the toasts instead of staying under them.
 * Mounted by the pages' frames (the admin shell, the developer home), not by Toast.tsx, which is
 * part of /login's first visit.
 */
export function useToastSpace(): void {
  onMount(() => {
    const root = document.documentElement;
    const boxes = () => [...document.querySelectorAll<HTMLElement>('.toast-dock, .toaster')];
    const measure = () => {
      let space = 0;
      for (const el of boxes()) {
        if (el.hidden || el.offsetHeight === 0) continue;
        const style = getComputedStyle(el);
        if (style.position !== 'fixed') continue; // in the sidebar's flow: covers nothing
        space = Math.max(space, Math.ceil(el.offsetHeight + (parseFloat(style.bottom) || 0) + GAP));
      }
      if (space) root.style.setProperty('--toast-space', `${space}px`);
      else root.style.removeProperty('--toast-space');
    };
    // A toast coming or going resizes its box; a rotated phone or a resized window may move it into or out of the flow.
    const observer = new ResizeObserver(measure);
    for (const el of boxes()) observer.observe(el);
    window.addEventListener('resize', measure);
    measure();
    onCleanup(() => {
      observer.disconnect();
      window.removeEventListener('resize', measure);
      root.style.removeProperty('--toast-space');
    });
  });
}

/** useToastSpace as a component, to place beside a <ToastDock /> that mounts later than its page frame. */
export function ToastSpace(): null {
  useToastSpace();
  return null;
}
