import { Show } from 'solid-js';
import { Button } from '../../ui';
import { databaseReachableNow, liveStatus, reconnectLive, useLiveConnection } from './live';

const LABELS = {
  off: 'Not connected',
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
} as const;

/**
 * Opens the admin area's live connection (for as long as the shell is shown) and says whether
 * registrations and decisions are arriving live.
 */
export function LiveIndicator() {
  useLiveConnection();
  const dot = () => (liveStatus() === 'live' ? 'live' : liveStatus() === 'offline' ? 'offline' : liveStatus() === 'off' ? '' : 'reconnecting');
  return (
    <span
      class="live-indicator"
      role="status"
      aria-live="polite"
      data-testid="live-indicator"
      data-state={liveStatus()}
      title={
        !databaseReachableNow()
          ? 'The server cannot reach its database right now; live updates resume by themselves'
          : liveStatus() === 'live'
            ? 'New registrations and decisions appear as they happen'
            : liveStatus() === 'offline'
              ? 'Live updates stopped'
              : 'Live updates will resume by themselves; nothing is missed meanwhile'
      }
    >
      <span class={`live-dot ${dot()}`} aria-hidden="true" />
      {LABELS[liveStatus()]}
      <Show when={liveStatus() === 'offline'}>
        <Button variant="ghost" small onClick={() => reconnectLive()}>
          Reconnect
        </Button>
      </Show>
    </span>
  );
}
