import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@solidjs/testing-library';
import { createSignal } from 'solid-js';
import { Button, Dialog, FormError, StatusBadge, TextField, timeAgo } from '../../../client/ui';

afterEach(cleanup);

describe('TextField', () => {
  it('links the label to the input and shows the error with aria-invalid', async () => {
    const [value, setValue] = createSignal('');
    const [error, setError] = createSignal<string | undefined>();
    render(() => <TextField label="Email" name="email" type="email" value={value} onInput={setValue} error={error()} hint="Work address" />);

    const input = screen.getByLabelText<HTMLInputElement>('Email');
    expect(input.tagName).toBe('INPUT');
    expect(input.name).toBe('email');
    expect(input.type).toBe('email');
    expect(input.getAttribute('aria-invalid')).toBeNull();

    fireEvent.input(input, { target: { value: 'a@b.c' } });
    expect(value()).toBe('a@b.c');

    setError('Enter a valid email address');
    expect(input.getAttribute('aria-invalid')).toBe('true');
    const message = screen.getByText('Enter a valid email address');
    expect(message.classList.contains('field-error')).toBe(true);
    const describedBy = input.getAttribute('aria-describedby')?.split(' ') ?? [];
    expect(describedBy).toContain(message.id);
    expect(describedBy).toContain(screen.getByText('Work address').id);
  });
});

describe('Button', () => {
  it('is disabled, aria-busy and shows a spinner while busy', () => {
    const [busy, setBusy] = createSignal(true);
    render(() => (
      <Button variant="primary" type="submit" busy={busy()}>
        Save
      </Button>
    ));
    const button = screen.getByRole<HTMLButtonElement>('button', { name: 'Save' });
    expect(button.type).toBe('submit');
    expect(button.className).toContain('btn-primary');
    expect(button.disabled).toBe(true);
    expect(button.getAttribute('aria-busy')).toBe('true');
    expect(button.querySelector('.spinner')).not.toBeNull();

    setBusy(false);
    expect(button.disabled).toBe(false);
    expect(button.getAttribute('aria-busy')).toBeNull();
    expect(button.querySelector('.spinner')).toBeNull();
  });
});

describe('timeAgo', () => {
  const now = new Date('2025-03-10T12:00:00Z');
  it.each([
    ['2025-03-10T11:59:30Z', 'just now'],
    ['2025-03-10T11:55:00Z', '5 min ago'],
    ['2025-03-10T09:00:00Z', '3 h ago'],
    ['2025-03-09T11:00:00Z', '1 day ago'],
    ['2025-03-08T12:00:00Z', '2 days ago'],
    ['2025-03-10T12:10:00Z', 'in 10 min'],
    // Rounded as people count: a 7-day invite link seconds after sending is valid "in 7 days" (was "in 6 days").
    ['2025-03-17T11:59:55Z', 'in 7 days'],
    ['2025-03-10T12:59:40Z', 'in 1 h'],
    ['2025-03-09T12:20:00Z', '1 day ago'],
  ])('%s → %s', (iso, expected) => {
    expect(timeAgo(iso, now)).toBe(expected);
  });
  it('returns an empty string for invalid input', () => {
    expect(timeAgo('not a date', now)).toBe('');
  });
});

describe('StatusBadge', () => {
  it('renders the human label with the status class', () => {
    render(() => <StatusBadge status="pending" />);
    const badge = screen.getByText('Pending');
    expect(badge.classList.contains('badge')).toBe(true);
    expect(badge.classList.contains('badge-pending')).toBe(true);
  });
});

describe('FormError', () => {
  it('renders an alert only when a message is set', () => {
    const [message, setMessage] = createSignal<string | null>(null);
    render(() => <FormError message={message()} />);
    expect(screen.queryByRole('alert')).toBeNull();
    setMessage('Invalid credentials');
    expect(screen.getByRole('alert').textContent).toBe('Invalid credentials');
  });
});

describe('Dialog', () => {
  it('is labelled by its title, moves focus inside and closes on Escape', () => {
    const [open, setOpen] = createSignal(true);
    render(() => (
      <Dialog open={open()} title="Reject registration" onClose={() => setOpen(false)}>
        <input aria-label="Reason" />
      </Dialog>
    ));
    const dialog = screen.getByRole('dialog', { name: 'Reject registration' });
    expect(document.activeElement).toBe(screen.getByLabelText('Reason'));
    fireEvent.keyDown(dialog, { key: 'Escape' });
    expect(open()).toBe(false);
    expect(screen.queryByRole('dialog')).toBeNull();
  });
});
