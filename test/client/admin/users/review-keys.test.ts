import { describe, expect, it } from 'vitest';
import { moveIndex, queueCommand, tabIndexAfterKey } from '../../../../client/admin/users/review-keys';

describe('the review queue keys', () => {
  it('maps j k x a r o ? to commands while shortcuts are on', () => {
    expect(['j', 'k', 'x', 'a', 'r', 'o', '?'].map((key) => queueCommand({ key, targetTag: 'TR' }, true))).toEqual([
      'next',
      'prev',
      'select',
      'activate',
      'reject',
      'open',
      'help',
    ]);
  });

  it('ignores single keys when the admin turned them off, but arrows, Home, End and Space still move and select', () => {
    expect(['j', 'k', 'x', 'a', 'r', 'o', '?'].map((key) => queueCommand({ key, targetTag: 'TR' }, false))).toEqual(Array(7).fill(null));
    expect(['ArrowDown', 'ArrowUp', 'Home', 'End', ' '].map((key) => queueCommand({ key, targetTag: 'TR' }, false))).toEqual([
      'next',
      'prev',
      'first',
      'last',
      'select',
    ]);
  });

  it('never acts while typing in a field, or with a modifier (browser and screen-reader keys stay theirs)', () => {
    for (const targetTag of ['INPUT', 'TEXTAREA', 'SELECT']) expect(queueCommand({ key: 'a', targetTag }, true)).toBeNull();
    expect(queueCommand({ key: 'a', targetTag: 'DIV', targetEditable: true }, true)).toBeNull();
    expect(queueCommand({ key: 'a', targetTag: 'TR', ctrlKey: true }, true)).toBeNull();
    expect(queueCommand({ key: 'r', targetTag: 'TR', metaKey: true }, true)).toBeNull();
    expect(queueCommand({ key: 'j', targetTag: 'TR', altKey: true }, true)).toBeNull();
  });

  it('moves within the list and stops at its ends', () => {
    expect(moveIndex(0, 'next', 3)).toBe(1);
    expect(moveIndex(2, 'next', 3)).toBe(2);
    expect(moveIndex(0, 'prev', 3)).toBe(0);
    expect(moveIndex(1, 'first', 3)).toBe(0);
    expect(moveIndex(0, 'last', 3)).toBe(2);
    expect(moveIndex(-1, 'next', 3)).toBe(0);
    expect(moveIndex(0, 'next', 0)).toBe(-1);
  });

  it('the status tabs wrap with the arrows and jump with Home and End; other keys are not theirs', () => {
    expect(tabIndexAfterKey('ArrowRight', 6, 7)).toBe(0);
    expect(tabIndexAfterKey('ArrowLeft', 0, 7)).toBe(6);
    expect(tabIndexAfterKey('Home', 4, 7)).toBe(0);
    expect(tabIndexAfterKey('End', 1, 7)).toBe(6);
    expect(tabIndexAfterKey('Tab', 1, 7)).toBeNull();
  });
});
