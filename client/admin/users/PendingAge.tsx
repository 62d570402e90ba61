import { createSignal, type JSX } from 'solid-js';
import { timeAgo } from '../../ui';

// One clock for every row: how long a pending request has waited.
const [clock, setClock] = createSignal(Date.now());
let ticking = false;
/** "Waiting 3 h", kept current (re-rendered every 30 seconds). */
export function PendingAge(props: { createdAt: string }): JSX.Element {
  if (!ticking && typeof window !== 'undefined') {
    ticking = true;
    setInterval(() => setClock(Date.now()), 30_000);
  }
  const text = () => {
    const ago = timeAgo(props.createdAt, clock());
    if (ago === 'just now') return 'Waiting < 1 min';
    return ago.endsWith(' ago') ? `Waiting ${ago.slice(0, -4)}` : `Waiting since ${ago}`;
  };
  return (
    <span class="cell-sub" data-testid="pending-age" title="Time since the registration">
      {text()}
    </span>
  );
}
