import { Show, createSignal, onCleanup, type JSX } from 'solid-js';
import type { BotFields, BotPurpose } from '../../shared/schemas/security';
import { trpc } from '../lib/trpc';

/**
 * Bot protection for a public form (sign-up, reset request, invite acceptance, a challenged login):
 * asks the server for a challenge when the page opens, lets the ALTCHA widget solve it in the
 * background (no puzzle for the person), and keeps the signed form token and the honeypot.
 *
 * The widget (~34 KB gzip) is imported only when the server hands out a challenge, so it never
 * weighs on the pages' first-visit bundles.
 */
export interface BotCheck {
  /** What the form sends as `bot` (or, for a login, `altcha`). */
  fields: () => BotFields;
  /** True once the proof-of-work (if any) is solved. */
  ready: () => boolean;
  /** When the form may be sent at the earliest (the server refuses sooner submits as too fast). */
  notBefore: () => number;
  /** A fresh challenge and token (after a refusal: each solution works once). */
  reload: () => void;
  /** The widget and the honeypot, to place inside the form. */
  view: () => JSX.Element;
}

interface AltchaStateEvent extends Event {
  detail: { state: string; payload?: string | null };
}

export function createBotCheck(purpose: BotPurpose, email?: () => string): BotCheck {
  const [formToken, setFormToken] = createSignal<string | undefined>();
  const [payload, setPayload] = createSignal<string | undefined>();
  const [needsPow, setNeedsPow] = createSignal(false);
  const [honeypot, setHoneypot] = createSignal(false);
  const [website, setWebsite] = createSignal('');
  const [error, setError] = createSignal<string | null>(null);
  let notBefore = 0;
  let host: HTMLDivElement | undefined;
  let widget: HTMLElement | undefined;

  const load = async () => {
    setPayload(undefined);
    setError(null);
    try {
      const c = await trpc.auth.challenge.mutate({ purpose, ...(email ? { email: email() } : {}) });
      setFormToken(c.formToken);
      // Measured from now, after the server issued the token: its own measure is never shorter.
      notBefore = Date.now() + c.minSubmitSeconds * 1000 + 100;
      setHoneypot(c.honeypot);
      setNeedsPow(!!c.challenge);
      if (!c.challenge) return;
      await import('altcha');
      widget?.remove();
      const el = document.createElement('altcha-widget');
      el.setAttribute('challenge', c.challenge);
      el.setAttribute('auto', 'onload');
      el.setAttribute('name', 'altcha');
      el.setAttribute('configuration', JSON.stringify({ hideFooter: true, hideLogo: true }));
      el.addEventListener('statechange', (ev) => {
        const { state, payload: p } = (ev as AltchaStateEvent).detail;
        if (state === 'verified' && p) setPayload(p);
        else if (state === 'error' || state === 'expired') void load();
      });
      widget = el;
      host?.append(el);
    } catch {
      setError('The automatic check could not start. Please reload the page.');
    }
  };
  void load();
  onCleanup(() => widget?.remove());

  return {
    fields: () => ({
      ...(formToken() ? { formToken: formToken()! } : {}),
      ...(payload() ? { altcha: payload()! } : {}),
      ...(website() ? { website: website() } : {}),
    }),
    ready: () => !needsPow() || !!payload(),
    notBefore: () => notBefore,
    reload: () => void load(),
    view: () => (
      <>
        <Show when={honeypot()}>
          {/* Hidden from people (and screen readers); bots that fill every field fill this one too. */}
          <div aria-hidden="true" style={{ position: 'absolute', left: '-10000px', top: 'auto', width: '1px', height: '1px', overflow: 'hidden' }}>
            <label>
              Website
              <input type="text" name="website" tabindex="-1" autocomplete="off" value={website()} onInput={(e) => setWebsite(e.currentTarget.value)} />
            </label>
          </div>
        </Show>
        <div
          ref={(el) => {
            host = el;
            if (widget) el.append(widget);
          }}
          class="bot-check"
          data-testid="bot-check"
          style={{ 'margin-bottom': 'var(--space-4)' }}
        />
        <Show when={error()}>
          <p class="field-error" role="alert">
            {error()}
          </p>
        </Show>
      </>
    ),
  };
}

/**
 * Waits (up to a minute) until the check is solved and the minimum time has passed, so a quick
 * person's submit is never refused: only a bot posting straight to the server meets those checks.
 */
export async function whenReady(check: BotCheck, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((!check.ready() || Date.now() < check.notBefore()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}
