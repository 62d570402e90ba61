import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@solidjs/testing-library';
import { Toaster, ToastDock, dismissToast, toast } from '../../../client/ui';
import { addToast, type ToastItem } from '../../../client/ui/toast-list';

const item = (id: number, o: Partial<ToastItem> = {}): ToastItem => ({ id, message: `m${id}`, kind: 'info', count: 1, silent: false, ...o });
const summary = (n: number) => `${n} new registrations`;

describe('addToast (which toasts are on screen)', () => {
  it('collapses toasts of one group into one counter that keeps its id', () => {
    let list: ToastItem[] = [];
    list = addToast(list, item(1, { group: 'reg', summary, message: 'New registration: Ada' }), 4).list;
    list = addToast(list, item(2, { kind: 'success', message: 'Saved' }), 4).list;
    const r = addToast(list, item(3, { group: 'reg', summary, message: 'New registration: Bob' }), 4);
    expect(r.kept.id).toBe(1);
    const r2 = addToast(r.list, item(4, { group: 'reg', summary, count: 1 }), 4);
    expect(r2.list.map((t) => t.message)).toEqual(['3 new registrations', 'Saved']);
    expect(r2.list[0]!.count).toBe(3);
  });

  it('a burst arriving as one toast says its count at once; ungrouped toasts drop the oldest beyond the limit', () => {
    expect(addToast([], item(1, { group: 'reg', summary, count: 4 }), 4).kept.message).toBe('4 new registrations');
    let list: ToastItem[] = [];
    const dropped: number[] = [];
    for (let i = 1; i <= 6; i++) {
      const r = addToast(list, item(i), 4);
      list = r.list;
      dropped.push(...r.dropped);
    }
    expect(list.map((t) => t.id)).toEqual([3, 4, 5, 6]);
    expect(dropped).toEqual([1, 2]);
  });

  it('a collapsed toast loses the Undo of its first item (it would undo only one of them)', () => {
    const first = addToast([], item(1, { group: 'g', summary, action: { label: 'Undo', run: () => undefined } }), 4);
    expect(addToast(first.list, item(2, { group: 'g', summary }), 4).kept.action).toBeUndefined();
  });
});

describe('Toaster', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => {
    cleanup();
    vi.useRealTimers();
  });

  it('puts errors in a role=alert region and the rest in a polite status region; silent toasts in neither', () => {
    render(() => <Toaster />);
    const ids = [toast('Could not save', 'error'), toast('Saved', 'success'), toast('Shown only', 'info', { silent: true })];
    expect(screen.getByRole('alert').textContent).toContain('Could not save');
    expect(screen.getByRole('status').textContent).toContain('Saved');
    expect(screen.getByRole('status').textContent).not.toContain('Shown only');
    expect(screen.getByRole('alert').textContent).not.toContain('Shown only');
    expect(screen.getByText('Shown only')).toBeTruthy();
    ids.forEach(dismissToast);
  });

  it('collapses three registrations into one toast saying "3 new registrations"', () => {
    render(() => <Toaster />);
    for (const name of ['Ada', 'Bob', 'Cy']) toast(`New registration: ${name}`, 'info', { group: 'registrations', summary });
    const shown = screen.getAllByTestId('toast');
    expect(shown).toHaveLength(1);
    expect(shown[0]!.textContent).toContain('3 new registrations');
    vi.advanceTimersByTime(6000);
    expect(screen.queryAllByTestId('toast')).toHaveLength(0);
  });

  it('stops counting down while the pointer is on the toasts or focus is in them, and resumes after', () => {
    const { container } = render(() => <Toaster />);
    const region = container.querySelector<HTMLElement>('.toaster')!;
    toast('Activated Ada Lovelace', 'success');
    fireEvent.pointerEnter(region);
    vi.advanceTimersByTime(20_000);
    expect(screen.getByText('Activated Ada Lovelace')).toBeTruthy();
    fireEvent.pointerLeave(region);
    // Focus inside pauses it too.
    const close = screen.getByRole('button', { name: 'Dismiss notification' });
    close.focus();
    vi.advanceTimersByTime(20_000);
    expect(screen.getByText('Activated Ada Lovelace')).toBeTruthy();
    close.blur();
    fireEvent.focusOut(close);
    return Promise.resolve().then(() => {
      vi.advanceTimersByTime(5000);
      expect(screen.queryByText('Activated Ada Lovelace')).toBeNull();
    });
  });

  it('runs the action (Undo) once and then closes the toast; toasts go to the dock while one is mounted', async () => {
    const run = vi.fn();
    const { container } = render(() => (
      <>
        <Toaster />
        <ToastDock />
      </>
    ));
    toast('Rejected Ada Lovelace', 'success', { action: { label: 'Undo', run } });
    expect(container.querySelector('.toaster')!.hasAttribute('hidden')).toBe(true);
    expect(screen.getByTestId('toast-dock').textContent).toContain('Rejected Ada Lovelace');
    fireEvent.click(screen.getByRole('button', { name: 'Undo' }));
    expect(run).toHaveBeenCalledTimes(1);
    await vi.runAllTimersAsync();
    expect(screen.queryByText('Rejected Ada Lovelace')).toBeNull();
  });
});
