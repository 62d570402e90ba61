import { For, Show, type JSX } from 'solid-js';
import type { SessionInfo } from '../../../shared/schemas/sessions';
import { Badge, Button, formatDateTime, timeAgo } from '../../ui';

/**
 * Signed-in browsers and devices as a list: device (user agent summarised), IP, last seen, and
 * "this device". Used on the developer's home (their own) and on an admin's user page.
 */
export function SessionList(props: {
  sessions: SessionInfo[];
  /** Which session's "End" is in flight. */
  ending?: string | null;
  onEnd: (s: SessionInfo) => void;
  empty?: string;
}): JSX.Element {
  return (
    <Show when={props.sessions.length} fallback={<p class="muted">{props.empty ?? 'No active sessions.'}</p>}>
      <ul class="session-list" aria-label="Sessions" style={{ 'list-style': 'none', padding: 0, margin: 0 }}>
        <For each={props.sessions}>
          {(s) => (
            <li
              class="session-row"
              data-session={s.id}
              style={{ display: 'flex', 'align-items': 'center', gap: '12px', padding: '10px 0', 'border-top': '1px solid var(--border, #e5e7eb)' }}
            >
              <div class="session-main" style={{ flex: 1, 'min-width': 0 }}>
                <div class="session-device">
                  <strong title={s.userAgent}>{s.device}</strong>
                  <Show when={s.current}>
                    {' '}
                    <Badge kind="active">This device</Badge>
                  </Show>
                </div>
                <div class="muted" style={{ 'font-size': '0.875em', 'overflow-wrap': 'anywhere' }}>
                  {s.ip || 'Unknown address'} · last seen{' '}
                  <time datetime={s.lastSeenAt} title={formatDateTime(s.lastSeenAt)}>
                    {timeAgo(s.lastSeenAt)}
                  </time>{' '}
                  · signed in {formatDateTime(s.createdAt)}
                </div>
              </div>
              <Button
                small
                variant="secondary"
                busy={props.ending === s.id}
                onClick={() => props.onEnd(s)}
                aria-label={`End session: ${s.device}${s.current ? ' (this device)' : ''}`}
              >
                End
              </Button>
            </li>
          )}
        </For>
      </ul>
    </Show>
  );
}
