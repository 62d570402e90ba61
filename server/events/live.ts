import type { AppServices } from '../app-services.js';
import { EventBus } from './bus.js';
import { EventListener, type EventListenerOptions } from './listener.js';
import { SessionGuard } from './session-guard.js';
import { UserCountsView } from './user-counts.js';

/** One per running app (process): the LISTEN connection, the bus it feeds, and the session re-checks of subscriptions. */
export interface LiveEvents {
  bus: EventBus;
  listener: EventListener;
  guard: SessionGuard;
  stop(): Promise<void>;
}

// Keyed by the app's services so several apps in one process (tests: two "processes" on one database) stay apart.
const registry = new WeakMap<AppServices, LiveEvents>();

export async function startLiveEvents(
  app: AppServices,
  databaseUrl: string,
  opts: Partial<Omit<EventListenerOptions, 'databaseUrl' | 'bus' | 'log'>> & { sessionCheckMs?: number } = {},
): Promise<LiveEvents> {
  const bus = new EventBus((error) => app.log.error('event bus handler failed', { error: error as Error }));
  const guard = new SessionGuard(app, opts.sessionCheckMs);
  const counts = new UserCountsView();
  const listener = new EventListener({ ...opts, databaseUrl, bus, log: app.log, counts, watchedSessions: () => guard.watchedSessionIds() });
  await listener.start();
  guard.start();
  const live: LiveEvents = {
    bus,
    listener,
    guard,
    async stop() {
      registry.delete(app);
      guard.stop();
      await listener.stop();
    },
  };
  registry.set(app, live);
  return live;
}

/** The live events of the app serving this request. */
export function liveEventsOf(app: AppServices): LiveEvents {
  const live = registry.get(app);
  if (!live) throw new Error('live events are not running for this app');
  return live;
}
