import { createSignal, onCleanup } from 'solid-js';
import type { DomainEventDto, UserCountsDto, UserSnapshot } from '../../../shared/events';
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

// The counts come with the events that change them (server/events/user-counts.ts): no request per
// event. Newer counts (larger `at`) always win, so a stats response that was already on its way
// cannot put back older numbers than an event just brought.
queryClient.setQueryDefaults(STATS_KEY, {
  structuralSharing: (prev: unknown, next: unknown) => {
    const p = prev as UserCountsDto | undefined;
    const n = next as UserCountsDto | undefined;
    return p && n && p.at > n.at ? p : next;
  },
});

function applyCounts(counts: UserCountsDto) {
  queryClient.setQueryData(STATS_KEY, counts);
}

let arrivals: UserSnapshot[] = [];
let arrivalsTimer: ReturnType<typeof setTimeout> | undefined;
let tableAnnouncers = 0;

/**
 * The users list announces each new row in its own polite live region; while it is on screen, the
 * registration toast is shown without being announced a second time.
 */
export function useRegistrationAnnouncer(): void {
  tableAnnouncers++;
  onCleanup(() => tableAnnouncers--);
}

/** What one registration's toast says. */
export function registrationMessage(u: Pick<UserSnapshot, 'firstName' | 'lastName' | 'email' | 'status'>): string {
  return u.status === 'pending'
    ? `New registration: ${u.firstName} ${u.lastName} (${u.email}) is waiting for approval`
    : `New developer: ${u.firstName} ${u.lastName} (${u.email}) joined`;
}

/**
 * A toast per registration, but never a stack of them: registrations arriving while one is on
 * screen (or in one burst, e.g. catching up after a reconnect) collapse into one counter.
 */
function announceRegistration(u: UserSnapshot) {
  arrivals.push(u);
  if (arrivalsTimer) return;
  arrivalsTimer = setTimeout(() => {
    const list = arrivals;
    arrivals = [];
    arrivalsTimer = undefined;
    toast(registrationMessage(list[0]!), 'info', {
      group: 'registrations',
      count: list.length,
      summary: (n) => `${n} new registrations`,
      silent: tableAnnouncers > 0,
    });
  }, 250);
}

function sharedEffects(e: DomainEventDto) {
  if (e.counts) applyCounts(e.counts);
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
        // Replayed events carry no counts: read them once (from the server's memory) after every (re)start.
        void queryClient.invalidateQueries({ queryKey: STATS_KEY });
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
