import { describe, expect, it } from 'vitest';
import { createRoot, createSignal } from 'solid-js';
import { createUserListStore, type UserListFilter } from '../../../../client/admin/users/users-list-store';
import type { UserRow } from '../../../../shared/schemas/users';

let n = 0;
function row(over: Partial<UserRow> = {}): UserRow {
  n++;
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    email: `u${n}@example.test`,
    firstName: `First${n}`,
    lastName: `Last${n}`,
    role: 'developer',
    status: 'active',
    organisationId: 'org',
    organisationName: 'Default organisation',
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString(),
    version: 1,
    ...over,
  };
}

function setup(initial: UserListFilter = { status: 'all', search: '' }) {
  return createRoot(() => {
    const [filter, setFilter] = createSignal(initial);
    const store = createUserListStore(filter);
    return { store, setFilter, names: () => store.rows().map((r) => r.firstName) };
  });
}

describe('users list store', () => {
  it('places a new pending registration first under "pending first", a new active user after the pending ones', () => {
    const { store, names } = setup();
    const p = row({ status: 'pending', firstName: 'P-old' });
    const a = row({ firstName: 'A-old' });
    store.setPage([p, a], null);
    expect(store.upsertRow(row({ status: 'pending', firstName: 'P-new' }))).toBe('inserted');
    expect(store.upsertRow(row({ firstName: 'A-new' }))).toBe('inserted');
    expect(names()).toEqual(['P-new', 'P-old', 'A-new', 'A-old']);
  });

  it('moves an approved user out of the pending block, and drops a row that no longer matches the filter', () => {
    const all = setup();
    const p = row({ status: 'pending', firstName: 'Pat' });
    const a = row({ firstName: 'Newer active' });
    all.store.setPage([p, row({ status: 'pending', firstName: 'Other' }), a], null);
    expect(all.store.upsertRow({ ...p, status: 'active', version: 2 })).toBe('updated');
    expect(all.names()).toEqual(['Other', 'Newer active', 'Pat']);

    const pendingOnly = setup({ status: 'pending', search: '' });
    pendingOnly.store.setPage([p], null);
    expect(pendingOnly.store.upsertRow({ ...p, status: 'active', version: 2 })).toBe('removed');
    expect(pendingOnly.names()).toEqual([]);
  });

  it('ignores an older state arriving after a newer one, and users that do not match the search', () => {
    const { store, names } = setup({ status: 'all', search: 'ada' });
    const u = row({ firstName: 'Ada', version: 3 });
    store.setPage([u], null);
    expect(store.upsertRow({ ...u, firstName: 'Ada (old)', version: 2 })).toBe('skipped');
    expect(store.upsertRow(row({ firstName: 'Bob' }))).toBe('skipped');
    expect(names()).toEqual(['Ada']);
  });

  it('a live row matches the search as the server does: the start of the address, "first last", the last name or the domain', () => {
    const grace = () => row({ firstName: 'Grace', lastName: 'Hopper', email: 'g.hopper@navy.test' });
    for (const term of ['grace hop', 'HOPPER', 'g.hop', 'navy', '@navy.te']) {
      expect(setup({ status: 'all', search: term }).store.upsertRow(grace()), term).not.toBe('skipped');
    }
    for (const term of ['race', 'opper', 'avy', 'hopper@']) {
      expect(setup({ status: 'all', search: term }).store.upsertRow(grace()), term).toBe('skipped');
    }
  });

  it('does not insert a row that sorts after the loaded rows while more pages remain; appendPage skips rows already present', () => {
    const { store, names } = setup();
    const recent = row({ firstName: 'Recent', createdAt: '2026-06-01T00:00:00.000Z' });
    store.setPage([recent], 'cursor');
    expect(store.upsertRow(row({ firstName: 'Ancient', createdAt: '2020-01-01T00:00:00.000Z' }))).toBe('skipped');
    const later = row({ firstName: 'Later', createdAt: '2026-05-01T00:00:00.000Z' });
    store.appendPage([recent, later], null);
    expect(names()).toEqual(['Recent', 'Later']);
    store.removeRow(recent.id);
    expect(names()).toEqual(['Later']);
  });
});
