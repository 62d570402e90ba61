import { randomUUID } from 'node:crypto';
import type { TestApp } from '../../support/app.js';
import { uniqueEmail } from '../../support/users.js';
import { wsClient } from '../../support/http.js';
import { appendEvent } from '../../../server/events/append.js';
import { loadUserSnapshot } from '../../../server/users/users.repository.js';
import type { DomainEventDto } from '../../../shared/events.js';

/** A self-registration as the sign-up service commits it: a pending user and its user.registered event, one transaction. */
export async function registerFixture(app: TestApp, opts: { email?: string } = {}): Promise<{ userId: string; eventId: number; email: string }> {
  const email = opts.email ?? uniqueEmail('live');
  const userId = randomUUID();
  const eventId = await app.services.em().transactional(async (tx) => {
    // Volume fixture: no need to wait for the WAL flush (commit order and visibility are unchanged).
    await tx.execute('set local synchronous_commit = off');
    await tx.execute(
      `insert into app_user (id, email, first_name, last_name, organisation_id, role, status, password_hash, must_change_password, created_at, updated_at, version)
       values (?, ?, 'Live', 'Fixture', (select id from organisation where is_default), 'developer', 'pending', null, false, now(), now(), 1)`,
      [userId, email],
    );
    const user = (await loadUserSnapshot(tx, userId))!;
    return appendEvent(tx, 'user.registered', { user, autoApproved: false }, { actorId: null, userId });
  });
  return { userId, eventId, email };
}

export interface LiveSubscription {
  events: DomainEventDto[];
  /** The error that ended the stream, if one did. */
  error: () => any;
  completed: () => boolean;
  started: Promise<void>;
  opens: () => number;
  waitFor(pred: (events: DomainEventDto[]) => boolean, timeoutMs?: number): Promise<void>;
  waitForEnd(timeoutMs?: number): Promise<void>;
  close(): void;
}

/** An admin dashboard's subscription over a real WebSocket (tRPC wsLink: reconnects and resumes by lastEventId). */
export function subscribeLive(
  baseUrl: string,
  opts: { sessionId: string | null; origin: string; lastEventId?: string | number | null; retryDelayMs?: (n: number) => number },
): LiveSubscription {
  const events: DomainEventDto[] = [];
  let error: unknown = null;
  let completed = false;
  let opens = 0;
  let onStarted: () => void = () => undefined;
  const started = new Promise<void>((r) => (onStarted = r));
  const waiters = new Set<() => void>();
  const poke = () => {
    for (const w of [...waiters]) w();
  };
  const ws = wsClient(baseUrl, { sessionId: opts.sessionId, origin: opts.origin, retryDelayMs: opts.retryDelayMs, onOpen: () => opens++ });
  const sub = ws.trpc.admin.events.onUserEvent.subscribe(
    { lastEventId: opts.lastEventId ?? null },
    {
      onStarted: () => onStarted(),
      onData: (tracked) => {
        // tRPC types the wire shape (JSON-serialised); it is the DomainEventDto the server sent.
        events.push(tracked.data);
        poke();
      },
      onError: (e) => {
        error = e;
        poke();
      },
      onComplete: () => {
        completed = true;
        poke();
      },
      onStopped: () => {
        completed = true;
        poke();
      },
    },
  );
  const wait = (done: () => boolean, timeoutMs: number, what: () => string) =>
    new Promise<void>((resolve, reject) => {
      if (done()) return resolve();
      const check = () => {
        if (done()) {
          clearTimeout(t);
          waiters.delete(check);
          resolve();
        }
      };
      const t = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out: ${what()}`));
      }, timeoutMs);
      waiters.add(check);
    });
  return {
    events,
    error: () => error,
    completed: () => completed,
    started,
    opens: () => opens,
    waitFor: (pred, timeoutMs = 10_000) =>
      wait(
        () => pred(events),
        timeoutMs,
        () => `have ${events.length} events, error=${String(error)}`,
      ),
    waitForEnd: (timeoutMs = 10_000) =>
      wait(
        () => error !== null || completed,
        timeoutMs,
        () => 'stream still open',
      ),
    close() {
      sub.unsubscribe();
      void ws.close();
    },
  };
}

export const ids = (events: DomainEventDto[]) => events.map((e) => e.id);

export function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}
