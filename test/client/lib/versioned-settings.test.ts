import { describe, expect, it } from 'vitest';
import { mergeForm, savedMeanwhileMessage } from '../../../client/lib/versioned-settings';

const base = {
  portalName: 'Acme',
  autoApprove: false,
  signupEnabled: true,
  domainsText: 'acme.test',
  inviteLifetimeDays: '7',
  requireEmailVerification: true,
  unverifiedLifetimeDays: '7',
};

describe('settings forms: merging a save made meanwhile into the form', () => {
  it('takes their value where you changed nothing, keeps yours where they changed nothing', () => {
    const mine = { ...base, portalName: 'Acme APIs' };
    const theirs = { ...base, inviteLifetimeDays: '14', autoApprove: true };
    expect(mergeForm(base, mine, theirs)).toEqual({
      values: { ...base, portalName: 'Acme APIs', inviteLifetimeDays: '14', autoApprove: true },
      both: [],
    });
  });

  it('keeps yours where you both changed a field, and names it; the same change is no conflict', () => {
    const mine = { ...base, portalName: 'Mine', domainsText: 'acme.test\npartner.test', signupEnabled: false };
    const theirs = { ...base, portalName: 'Theirs', domainsText: 'acme.test\npartner.test', signupEnabled: false };
    expect(mergeForm(base, mine, theirs)).toEqual({ values: mine, both: ['portalName'] });
  });

  it('says what happened, naming the fields you both changed', () => {
    expect(savedMeanwhileMessage([])).toBe(
      'Someone else saved these settings meanwhile. The form now has their changes and keeps yours. Check, then save again.',
    );
    expect(savedMeanwhileMessage(['Portal name', 'Invite lifetime (days)'])).toContain(
      'you both changed “Portal name”, “Invite lifetime (days)”, and yours is shown',
    );
  });
});
