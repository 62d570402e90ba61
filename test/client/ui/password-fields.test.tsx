import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@solidjs/testing-library';
import { createForm, type Validator } from '../../../client/lib/form';
import { PasswordFields } from '../../../client/ui';

afterEach(cleanup);

interface Values {
  password: string;
  confirmPassword: string;
}
const validate: Validator<Values, Values> = (v) =>
  v.password === v.confirmPassword ? { ok: true, data: v } : { ok: false, errors: { confirmPassword: 'Passwords do not match' } };

describe('PasswordFields', () => {
  it('renders the password and its confirmation as new-password fields, and shows the form’s errors as they change', async () => {
    let form!: ReturnType<typeof createForm<Values>>;
    render(() => {
      form = createForm(validate, { password: '', confirmPassword: '' });
      return <PasswordFields fresh password={form.field('password')} confirm={form.field('confirmPassword')} />;
    });
    const password = screen.getByLabelText<HTMLInputElement>(/^New password/);
    const confirm = screen.getByLabelText<HTMLInputElement>(/^Confirm new password/);
    expect([password.name, password.type, password.autocomplete, password.required]).toEqual(['password', 'password', 'new-password', true]);
    expect([confirm.name, confirm.type, confirm.autocomplete]).toEqual(['confirmPassword', 'password', 'new-password']);
    expect(screen.getByText(/^At least 8 characters \(up to 256\)/).id).toBe(password.getAttribute('aria-describedby'));

    fireEvent.input(password, { target: { value: 'correct horse' } });
    fireEvent.input(confirm, { target: { value: 'correct hose' } });
    await form.submit(async () => undefined);
    expect(confirm.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText('Passwords do not match').id).toBe(confirm.getAttribute('aria-describedby'));

    fireEvent.input(confirm, { target: { value: 'correct horse' } });
    expect(confirm.getAttribute('aria-invalid')).toBeNull();
    expect(screen.queryByText('Passwords do not match')).toBeNull();

    // Typing loaded the strength meter (its own chunk, with zxcvbn's dictionaries): it shows once loaded.
    // Waiting for it also keeps that load from finishing after the test environment is torn down.
    await waitFor(() => expect(document.querySelector('.password-strength[data-score]')).not.toBeNull(), { timeout: 15_000 });
  }, 30_000);

  it('leaves out the confirmation where the password is typed once (an admin adding a user)', () => {
    render(() => <PasswordFields password={{ value: '', onInput: () => undefined }} maxLength={256} />);
    expect(screen.getByLabelText<HTMLInputElement>(/^Password/).maxLength).toBe(256);
    expect(screen.queryByLabelText(/^Confirm/)).toBeNull();
  });
});
