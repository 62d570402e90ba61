import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@solidjs/testing-library';
import { QueryClient, QueryClientProvider } from '@tanstack/solid-query';
import { AddUserDialog, toAddUserInput } from '../../../../client/admin/users/AddUserDialog';
import { GENERAL_SETTINGS_KEY, ORGANISATIONS_KEY } from '../../../../client/admin/query-keys';

afterEach(cleanup);

const ORG = { id: '7f1c2a34-5b6d-4e8f-9a0b-1c2d3e4f5a6b', name: 'Default organisation', isDefault: true, userCount: 1, createdAt: '2026-01-01T00:00:00.000Z' };

function renderDialog() {
  const client = new QueryClient({ defaultOptions: { queries: { staleTime: Infinity, retry: false } } });
  // Seeded, so the dialog renders without a server.
  client.setQueryData(ORGANISATIONS_KEY, { items: [ORG] });
  client.setQueryData(GENERAL_SETTINGS_KEY, { inviteLifetimeDays: 3 });
  return render(() => (
    <QueryClientProvider client={client}>
      <AddUserDialog open onClose={() => undefined} onAdded={() => undefined} />
    </QueryClientProvider>
  ));
}

describe('Add new user dialog', () => {
  it('offers "Set password" (with the must-change checkbox) or "Send an invite", never both', async () => {
    renderDialog();
    expect(screen.getByLabelText(/^Password/)).toBeTruthy();
    expect(screen.getByLabelText('User must change password at the next login')).toBeTruthy();
    expect(screen.queryByLabelText('Send the invite email now')).toBeNull();

    fireEvent.click(screen.getByLabelText('Send an invite'));
    expect(screen.queryByLabelText(/^Password/)).toBeNull();
    expect(screen.queryByLabelText('User must change password at the next login')).toBeNull();
    const send = screen.getByLabelText<HTMLInputElement>('Send the invite email now');
    expect(send.checked).toBe(true);
    expect(screen.getByText(/expires after 3 days/)).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Add user and send invite' })).toBeTruthy();
  });

  it('preselects the default organisation and validates inline before sending anything', async () => {
    renderDialog();
    expect(screen.getByLabelText<HTMLSelectElement>(/^Organisation/).value).toBe(ORG.id);
    fireEvent.click(screen.getByRole('button', { name: 'Add user' }));
    expect(await screen.findByText('First name is required')).toBeTruthy();
    expect(screen.getByText('Email is required')).toBeTruthy();
    expect(screen.getByText('Password must be at least 8 characters')).toBeTruthy();
  });

  it('sends only the chosen way’s fields', () => {
    const values = {
      firstName: 'A',
      lastName: 'B',
      email: 'a@b.test',
      organisationId: ORG.id,
      password: 'typed before switching',
      mustChangePassword: true,
      sendInvite: false,
    };
    expect(toAddUserInput({ ...values, mode: 'invite' })).toEqual({
      firstName: 'A',
      lastName: 'B',
      email: 'a@b.test',
      organisationId: ORG.id,
      mode: 'invite',
      sendInvite: false,
    });
    expect(toAddUserInput({ ...values, mode: 'password' })).toEqual({
      firstName: 'A',
      lastName: 'B',
      email: 'a@b.test',
      organisationId: ORG.id,
      mode: 'password',
      password: 'typed before switching',
      mustChangePassword: true,
    });
  });
});
