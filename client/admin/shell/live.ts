import { createSignal, onCleanup } from 'solid-js';
import type { DomainEventDto, UserSnapshot } from '../../../shared/events';
import { backoffDelay } from '../../../shared/backoff';
import { RECONNECT_BACKOFF, errorCode, trpc } from '../../lib/trpc';
import { refreshMe } from '../../lib/session';
import { toast } from '../../ui';
import { STATS_KEY } from '../query-keys';
import { queryClient } from '../query';
import { DB_HEALTH_POLL_MS, pollDatabaseHealth } from './db-health';

/**
 * The admin area's live connection: one `admin.events.onUserEvent` subscription for the whole
 * admin area, shared by every page through onLiveEvent().
 *
 * It reads the event position before subscribing and passes it as lastEventId, so nothing is
 * missed even if the socket drops before the first event. After that the wsLink keeps the last
 * tracked id and resubscribes with it on every reconnect (backoff with jitter: lib/trpc.ts
 * RECONNECT_BACKOFF); the server replays what was missed and never sends an id twice.
 */

type LiveStatus = 'off' | 'connecting' | 'live' | 'reconnecting' | 'offline';

const [status, setStatus] = createSignal<LiveStatus>('off');
// Whether the server reaches its database (polled from /readyz while the connection is open): an
// open socket to a server that cannot reach PostgreSQL delivers nothing, so it is "reconnecting".
const [dbReachable, setDbReachable] = createSignal(true);
/** The live connection's state, for the indicator in the shell. */
export const liveStatus = (): LiveStatus => (status() === 'live' && !dbReachable() ? 'reconnecting' : status());
/** False while the server reports it cannot reach its database. */
export const databaseReachableNow = dbReachable;
let healthTimer: ReturnType<typeof setInterval> | undefined;

type Listener = (e: DomainEventDto) => void;
const listeners = new Set<Listener>();

/** Recently received events (newest last), so a page that loads its data can re-apply what arrived meanwhile. */
const RECENT_MAX = 500;
const recent: { at: number; event: DomainEventDto }[] = [];
let lastEventId: string | null = null;

let users = 0;
let subscription: { unsubscribe(): void } | null = null;
let starting = false;
let retryTimer: ReturnType<typeof setTimeout> | undefined;
let retries = 0;

/** Subscribes again after a backoff with jitter (the socket's own reconnects are the wsLink's job). */
function retryLater() {
  setStatus('reconnecting');
  clearTimeout(retryTimer);
  retryTimer = setTimeout(() => void subscribe(), backoffDelay(retries++, RECONNECT_BACKOFF));
}

/** Calls `fn` for every live event from now on; returns the unsubscribe function. */
function onLiveEvent(fn: Listener): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** onLiveEvent for a component: unsubscribes when the component is cleaned up. */
export function useLiveEvents(fn: Listener): void {
  onCleanup(onLiveEvent(fn));
}

/** Events received at or after `since` (a performance.now() timestamp), oldest first. */
export function liveEventsSince(since: number): DomainEventDto[] {
  return recent.filter((r) => r.at >= since).map((r) => r.event);
}

/** The snapshot a user event carries (every user.* and invite.* event has one). */
export function eventUser(e: DomainEventDto): UserSnapshot | null {
  const d = e.data as { user?: UserSnapshot } | null;
  return d && typeof d === 'object' && d.user && typeof d.user.id === 'string' ? d.user : null;
}

function deliver(e: DomainEventDto) {
  recent.push({ at: performance.now(), event: e });
  if (recent.length > RECENT_MAX) recent.splice(0, recent.length - RECENT_MAX);
  for (const fn of [...listeners]) {
    try {
      fn(e);
    } catch (err) {
      console.error('live event handler failed', err);
    }
  }
}

// ---- Effects every admin page shares: the pending count in the navigation, and a toast per registration.

let statsTimer: ReturnType<typeof setTimeout> | undefined;
let statsLast = 0;
/** Refetches the counts at most once a second (a burst of 1,000 registrations costs a few requests, not 1,000). */
function refreshStats() {
  if (statsTimer) return;
  const wait = Math.max(0, statsLast + 1000 - Date.now());
  statsTimer = setTimeout(
    () => {
      statsTimer = undefined;
      statsLast = Date.now();
      void queryClient.invalidateQueries({ queryKey: STATS_KEY });
    },
    Math.min(wait, 1000) || 50,
  );
}

let arrivals: UserSnapshot[] = [];
let arrivalsTimer: ReturnType<typeof setTimeout> | undefined;
/** One toast per registration; a burst (e.g. catching up after a reconnect) becomes one toast. */
function announceRegistration(u: UserSnapshot) {
  arrivals.push(u);
  if (arrivalsTimer) return;
  arrivalsTimer = setTimeout(() => {
    const list = arrivals;
    arrivals = [];
    arrivalsTimer = undefined;
    if (list.length === 1) {
      const one = list[0]!;
      toast(
        one.status === 'pending'
          ? `New registration: ${one.firstName} ${one.lastName} (${one.email}) is waiting for approval`
          : `New developer: ${one.firstName} ${one.lastName} (${one.email}) joined`,
        'info',
      );
    } else {
      const waiting = list.filter((u) => u.status === 'pending').length;
      toast(`${list.length} new registrations${waiting ? `, ${waiting} waiting for approval` : ''}`, 'info');
    }
  }, 250);
}

function sharedEffects(e: DomainEventDto) {
  if (e.type.startsWith('user.') || e.type === 'invite.accepted') refreshStats();
  // An unverified registration is announced once its owner has verified the address.
  if (e.type === 'user.registered' || e.type === 'user.email_verified') {
    const u = eventUser(e);
    if (u && u.status !== 'unverified') announceRegistration(u);
  }
}

// ---- The subscription

async function subscribe() {
  if (starting || subscription || users === 0) return;
  starting = true;
  setStatus(lastEventId === null ? 'connecting' : 'reconnecting');
  try {
    if (lastEventId === null) lastEventId = (await trpc.admin.events.position.query()).lastEventId;
  } catch (err) {
    starting = false;
    if (errorCode(err) === 'FORBIDDEN' || errorCode(err) === 'UNAUTHORIZED') return endedBySession();
    return retryLater();
  }
  starting = false;
  if (users === 0) return setStatus('off');
  let started = false;
  subscription = trpc.admin.events.onUserEvent.subscribe(
    { lastEventId },
    {
      onStarted: () => {
        started = true;
        retries = 0;
        setStatus('live');
      },
      onData: (tracked) => {
        lastEventId = tracked.id;
        deliver(tracked.data);
      },
      onConnectionStateChange: (s) => {
        if (s.state === 'connecting') setStatus(started || lastEventId !== null ? 'reconnecting' : 'connecting');
        else if (s.state === 'pending' && started) setStatus('live');
      },
      onError: (err) => {
        subscription = null;
        if (errorCode(err) === 'FORBIDDEN' || errorCode(err) === 'UNAUTHORIZED') return endedBySession();
        // Any other end (e.g. the server cut a stalled connection's stream): resume from the last id.
        retryLater();
      },
      onStopped: () => {
        subscription = null;
        if (users > 0 && status() !== 'offline') retryLater();
      },
    },
  );
}

/** The server ended the stream because this session is no longer an active admin's. */
function endedBySession() {
  subscription = null;
  setStatus('offline');
  // The shell redirects when the session is gone or no longer an admin's.
  void refreshMe();
}

/** Keeps the live connection open while at least one caller needs it (the admin shell does). */
export function useLiveConnection(): void {
  users++;
  if (users === 1) {
    listeners.add(sharedEffects);
    void subscribe();
    healthTimer = setInterval(() => {
      if (status() === 'live' || !dbReachable()) void pollDatabaseHealth().then(setDbReachable);
    }, DB_HEALTH_POLL_MS);
  }
  onCleanup(() => {
    users--;
    if (users > 0) return;
    listeners.delete(sharedEffects);
    clearTimeout(retryTimer);
    clearInterval(healthTimer);
    setDbReachable(true);
    subscription?.unsubscribe();
    subscription = null;
    setStatus('off');
  });
}

/** Tries again at once (the indicator's "Reconnect" after the stream ended). */
export function reconnectLive(): void {
  if (subscription || users === 0) return;
  clearTimeout(retryTimer);
  void subscribe();
}
