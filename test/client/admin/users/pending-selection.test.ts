import { describe, expect, it } from 'vitest';
import { createRoot, createSignal } from 'solid-js';
import { createPendingSelection } from '../../../../client/admin/users/pending-selection';
import type { UserRow } from '../../../../shared/schemas/users';

const user = (id: string, status: UserRow['status'] = 'pending'): UserRow => ({
  id,
  email: `${id}@example.test`,
  firstName: id,
  lastName: 'Test',
  role: 'developer',
  status,
  organisationId: 'org',
  organisationName: 'Default',
  createdAt: new Date(0).toISOString(),
  version: 1,
});

describe('the pending selection', () => {
  it('keeps a selected user another admin decided, with who took it, out of the actions until dismissed', () => {
    createRoot((dispose) => {
      const [rows, setRows] = createSignal([user('a'), user('b'), user('c')]);
      const sel = createPendingSelection(rows);
      sel.toggle('a', true);
      sel.toggle('b', true);
      expect(sel.selected().map((r) => r.id)).toEqual(['a', 'b']);

      // Bob activates b: the live row changes and the page tells the selection who did it.
      const taken = user('b', 'active');
      setRows([user('a'), taken, user('c')]);
      sel.noteChange(taken, 'Bob Admin');
      expect(sel.selected().map((r) => r.id)).toEqual(['a']);
      expect(sel.taken()).toEqual([{ user: taken, by: 'Bob Admin', deleted: false }]);

      // The pending tab drops the row; the taken entry stays.
      setRows([user('a'), user('c')]);
      expect(sel.taken().map((t) => t.user.id)).toEqual(['b']);

      // Deciding the rest does not remove it; dismissing does.
      sel.drop(['a', 'b']);
      expect(sel.selected()).toEqual([]);
      expect(sel.taken().map((t) => t.user.id)).toEqual(['b']);
      sel.dismissTaken('b');
      expect(sel.taken()).toEqual([]);
      dispose();
    });
  });

  it('ignores changes to users that are not selected, or still pending; a deletion counts as taken', () => {
    createRoot((dispose) => {
      const [rows] = createSignal([user('a'), user('b')]);
      const sel = createPendingSelection(rows);
      sel.toggle('a', true);
      sel.noteChange(user('b', 'active'), 'Bob Admin');
      sel.noteChange(user('a', 'pending'), 'Bob Admin');
      expect(sel.taken()).toEqual([]);
      sel.noteChange(user('a'), 'Bob Admin', true);
      expect(sel.taken()).toEqual([{ user: user('a'), by: 'Bob Admin', deleted: true }]);
      sel.clear();
      expect(sel.taken()).toEqual([]);
      dispose();
    });
  });
});
