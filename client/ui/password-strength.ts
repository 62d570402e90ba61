// Loaded only through `import()` from PasswordFields (its own chunk, with the ~49,000-entry
// common-password list): never part of the first-visit bundle of /login or /register.
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';

const zxcvbn = new ZxcvbnFactory({ dictionary: { ...dictionary }, graphs: adjacencyGraphs });
// The same list, compared the same way (NFC, case-insensitive), as the server's refusal.
const common = new Set(dictionary['passwords-common'].map((p) => p.toLowerCase()));

export interface Strength {
  /** 0 (very weak) to 4 (strong), zxcvbn's guess-count bands. */
  score: 0 | 1 | 2 | 3 | 4;
  label: string;
  /** On the shipped common-password list: the server will refuse it. */
  common: boolean;
  advice: string | null;
}

const LABELS = ['Very weak', 'Weak', 'Fair', 'Good', 'Strong'] as const;

const WARNINGS: Record<string, string> = {
  common: 'This is a commonly used password.',
  commonNames: 'Common names and surnames are easy to guess.',
  namesByThemselves: 'Single names or surnames are easy to guess.',
  similarToCommon: 'This is similar to a commonly used password.',
  topTen: 'This is a heavily used password.',
  topHundred: 'This is a frequently used password.',
  userInputs: 'There should not be any personal or page related data.',
  dates: 'Dates are easy to guess.',
  recentYears: 'Recent years are easy to guess.',
  sequences: 'Common character sequences like "abc" are easy to guess.',
  simpleRepeat: 'Repeated characters like "aaa" are easy to guess.',
  extendedRepeat: 'Repeated character patterns like "abcabcabc" are easy to guess.',
  keyPattern: 'Short keyboard patterns are easy to guess.',
  straightRow: 'Straight rows of keys on your keyboard are easy to guess.',
  wordByItself: 'Single words are easy to guess.',
};

export function passwordStrength(password: string, userInputs: string[] = []): Strength {
  const nfc = password.normalize('NFC');
  const isCommon = common.has(nfc.toLowerCase());
  // zxcvbn's cost grows with length; past 100 characters the estimate no longer changes the advice.
  const r = zxcvbn.check(nfc.slice(0, 100), userInputs);
  const score = isCommon ? 0 : r.score;
  const warning = isCommon ? WARNINGS.common! : r.feedback.warning ? (WARNINGS[r.feedback.warning] ?? null) : null;
  return { score, label: LABELS[score], common: isCommon, advice: warning ?? (score < 3 ? 'Add another word or two: length beats symbols.' : null) };
}
