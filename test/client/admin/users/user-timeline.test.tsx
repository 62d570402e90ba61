import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen } from '@solidjs/testing-library';
import { UserTimeline } from '../../../../client/admin/users/UserTimeline';
import type { TimelineEvent } from '../../../../shared/schemas/users';

afterEach(cleanup);

const USER_ID = '3b2f6a10-7c1d-4e5f-8a9b-0c1d2e3f4a5b';
const ADMIN_ID = '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a';

function sessionEnded(id: number, sessions: unknown, self: boolean): TimelineEvent {
  return {
    id,
    type: 'session.ended',
    actorId: self ? USER_ID : ADMIN_ID,
    actorName: self ? 'Grace Hopper' : 'Ada Lovelace',
    userId: USER_ID,
    data: { user: { id: USER_ID }, sessions, by: self ? 'self' : 'admin' },
    createdAt: '2026-12-03T10:00:00.000Z',
  };
}

function renderTimeline(items: TimelineEvent[]) {
  return render(() => <UserTimeline timeline={{ isError: false, error: null, isPending: false, data: { items } }} />);
}

describe("the user page's timeline", () => {
  it('says how many sessions an ending ended, and who ended them', () => {
    renderTimeline([sessionEnded(3, 2, false), sessionEnded(2, 1, true)]);
    const items = screen.getByTestId('user-timeline').querySelectorAll('li[data-event-type="session.ended"]');
    expect(items).toHaveLength(2);
    expect(items[0]!.querySelector('.timeline-title')!.textContent).toBe('2 sessions ended by Ada Lovelace');
    expect(items[1]!.querySelector('.timeline-title')!.textContent).toBe('1 session ended by the user themselves');
  });

  it('falls back to the plain title when the event carries no usable count', () => {
    renderTimeline([sessionEnded(4, 'many', false)]);
    expect(screen.getByTestId('user-timeline').querySelector('.timeline-title')!.textContent).toBe('Sessions ended by Ada Lovelace');
  });
});
