import { EMAIL_MAX, NAME_MAX, PASSWORD_MAX, PASSWORD_MIN } from '../../shared/constants';

// Dependency-free checks with the same limits and messages as shared/schemas/common.ts, for the
// pages of a first visit (zod is loaded only by pages further in).
export function checkEmail(v: string): string | undefined {
  const s = v.trim();
  if (!s) return 'Email is required';
  if (s.length > EMAIL_MAX) return `Email must be at most ${EMAIL_MAX} characters`;
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s)) return 'Enter a valid email address';
  return undefined;
}
export function checkPassword(v: string): string | undefined {
  if (!v) return 'Password is required';
  if (v.length < PASSWORD_MIN) return `Password must be at least ${PASSWORD_MIN} characters`;
  if (v.length > PASSWORD_MAX) return `Password must be at most ${PASSWORD_MAX} characters`;
  return undefined;
}
export function checkName(label: string, v: string): string | undefined {
  const s = v.trim();
  if (!s) return `${label} is required`;
  if (s.length > NAME_MAX) return `${label} must be at most ${NAME_MAX} characters`;
  if (/[\u0000-\u001f\u007f]/.test(s)) return `${label} contains invalid characters`;
  return undefined;
}
export function collect(checks: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(checks)) if (v) out[k] = v;
  return out;
}
