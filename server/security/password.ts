import { hash, verify } from '@node-rs/argon2';

// OWASP's argon2id recommendation: 19 MiB, 2 iterations, 1 lane.
const options = { algorithm: 2 /* Argon2id */, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/**
 * Passwords are hashed in Unicode NFC (NIST 800-63B-4 §3.1.1.2, ASVS 5.0 V6.2): "é" typed as one
 * code point or as "e" + combining accent is the same password on every keyboard and OS.
 */
export function normalizePassword(password: string): string {
  return password.normalize('NFC');
}

export function hashPassword(password: string): Promise<string> {
  return hash(normalizePassword(password), options);
}

async function verifyOne(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/**
 * Checks a password against a stored hash: its NFC form first, then (for hashes made before
 * passwords were normalised) once as typed. `rehash` is a fresh NFC hash to store when only the
 * as-typed form matched, so the fallback is needed at most once per account.
 */
export async function checkPassword(passwordHash: string | null | undefined, password: string): Promise<{ ok: boolean; rehash: string | null }> {
  const nfc = normalizePassword(password);
  const legacyForm = nfc !== password;
  if (!passwordHash) {
    // Spend the same time as a real check so response time does not reveal whether an account exists.
    await hash(nfc, options);
    if (legacyForm) await hash(password, options);
    return { ok: false, rehash: null };
  }
  if (await verifyOne(passwordHash, nfc)) return { ok: true, rehash: null };
  if (legacyForm && (await verifyOne(passwordHash, password))) return { ok: true, rehash: await hashPassword(password) };
  return { ok: false, rehash: null };
}

export async function verifyPassword(passwordHash: string | null | undefined, password: string): Promise<boolean> {
  return (await checkPassword(passwordHash, password)).ok;
}
