import { solveChallenge, type Challenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/sha';

/** Solves an ALTCHA challenge (the JSON auth.challenge hands out) as the widget does, and returns the payload the form sends. */
export async function solveAltcha(challengeJson: string | null): Promise<string> {
  if (!challengeJson) throw new Error('no challenge to solve (proof-of-work is off)');
  const challenge = JSON.parse(challengeJson) as Challenge;
  const solution = await solveChallenge({ challenge, deriveKey, timeout: 60_000 });
  if (!solution) throw new Error('challenge not solved in time');
  return Buffer.from(JSON.stringify({ challenge: { parameters: challenge.parameters, signature: challenge.signature }, solution })).toString('base64');
}
