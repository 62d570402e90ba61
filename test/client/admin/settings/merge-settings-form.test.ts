import { describe, expect, it } from 'vitest';
import { mergeSettingsForm } from '../../../../client/admin/settings/GeneralSettingsPage';

const base = {
  portalName: 'Acme',
  autoApprove: false,
  signupEnabled: true,
  domainsText: 'acme.test',
  inviteLifetimeDays: '7',
  requireEmailVerification: true,
  unverifiedLifetimeDays: '7',
};

describe('Settings › General: merging a save made meanwhile into the form', () => {
  it('takes their value where you changed nothing, keeps yours where they changed nothing', () => {
    const mine = { ...base, portalName: 'Acme APIs' };
    const theirs = { ...base, inviteLifetimeDays: '14', autoApprove: true };
    expect(mergeSettingsForm(base, mine, theirs)).toEqual({
      values: { ...base, portalName: 'Acme APIs', inviteLifetimeDays: '14', autoApprove: true },
      both: [],
    });
  });

  it('keeps yours where you both changed a field, and names it; the same change is no conflict', () => {
    const mine = { ...base, portalName: 'Mine', domainsText: 'acme.test\npartner.test', signupEnabled: false };
    const theirs = { ...base, portalName: 'Theirs', domainsText: 'acme.test\npartner.test', signupEnabled: false };
    expect(mergeSettingsForm(base, mine, theirs)).toEqual({ values: mine, both: ['portalName'] });
  });
});
