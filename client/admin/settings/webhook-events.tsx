import { For, Show } from 'solid-js';
import { WEBHOOK_EVENT_TYPES, WEBHOOK_PATTERNS } from '../../../shared/webhooks';

/** The event-type choice of a webhook endpoint: everything (present and future), whole families, or single types. */
const FAMILIES = [
  { pattern: 'user.*', label: 'All user events' },
  { pattern: 'invite.*', label: 'All invite events' },
  { pattern: 'organisation.*', label: 'All organisation events' },
] as const;

const RANK = new Map<string, number>(WEBHOOK_PATTERNS.map((p, i) => [p, i]));

/**
 * The chosen patterns in the picker's order (all, families, single types; others after, as they
 * came): ticking a box off and on again gives back the same list, so it is no unsaved change.
 */
export function orderEventTypes(types: readonly string[]): string[] {
  const rank = (t: string) => RANK.get(t) ?? RANK.size;
  return types
    .map((t, i) => ({ t, i }))
    .sort((a, b) => rank(a.t) - rank(b.t) || a.i - b.i)
    .map((x) => x.t);
}

export function EventTypePicker(props: { value: string[]; onChange: (v: string[]) => void; error?: string | null | undefined }) {
  const has = (p: string) => props.value.includes(p);
  const toggle = (p: string, on: boolean) =>
    props.onChange(orderEventTypes(on ? [...props.value.filter((x) => x !== p), p] : props.value.filter((x) => x !== p)));
  const all = () => has('*');
  const coveredByFamily = (type: string) => has(`${type.slice(0, type.indexOf('.'))}.*`);
  return (
    <fieldset class="webhook-events" aria-describedby={props.error ? 'webhook-events-error' : undefined}>
      <legend>Events to send</legend>
      <label class="check">
        <input type="checkbox" name="eventTypes" value="*" checked={all()} onChange={(e) => toggle('*', e.currentTarget.checked)} />
        <span>
          All events <span class="muted">(including event types added later)</span>
        </span>
      </label>
      <div class="webhook-event-groups">
        <For each={FAMILIES}>
          {(f) => (
            <label class="check">
              <input
                type="checkbox"
                name="eventTypes"
                value={f.pattern}
                disabled={all()}
                checked={all() || has(f.pattern)}
                onChange={(e) => toggle(f.pattern, e.currentTarget.checked)}
              />
              <span>
                {f.label} <code class="muted">{f.pattern}</code>
              </span>
            </label>
          )}
        </For>
        <details>
          <summary>Single events</summary>
          <div class="webhook-event-list">
            <For each={WEBHOOK_EVENT_TYPES}>
              {(t) => (
                <label class="check">
                  <input
                    type="checkbox"
                    name="eventTypes"
                    value={t}
                    disabled={all() || coveredByFamily(t)}
                    checked={all() || coveredByFamily(t) || has(t)}
                    onChange={(e) => toggle(t, e.currentTarget.checked)}
                  />
                  <code>{t}</code>
                </label>
              )}
            </For>
          </div>
        </details>
      </div>
      <Show when={props.error}>
        <p id="webhook-events-error" class="field-error" role="alert">
          {props.error}
        </p>
      </Show>
    </fieldset>
  );
}

/** "user.*, settings.changed" for the list. */
export function eventTypesSummary(types: string[]): string {
  return types.includes('*') ? 'All events' : types.join(', ');
}
