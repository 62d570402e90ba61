import { z } from 'zod';
import { EMAIL_MAX, NAME_MAX, PASSWORD_MAX, PASSWORD_MIN } from '../constants.js';

// Control characters (including CR/LF) are never legitimate in names or addresses: they are how
// header injection starts.
const noControl = (v: string) => !/[\u0000-\u001f\u007f]/.test(v);

export const emailSchema = z
  .string({ message: 'Email is required' })
  .trim()
  .min(1, { message: 'Email is required' })
  .max(EMAIL_MAX, { message: `Email must be at most ${EMAIL_MAX} characters` })
  .refine(noControl, { message: 'Email contains invalid characters' })
  .pipe(z.email({ message: 'Enter a valid email address' }));

export const passwordSchema = z
  .string({ message: 'Password is required' })
  .min(PASSWORD_MIN, { message: `Password must be at least ${PASSWORD_MIN} characters` })
  .max(PASSWORD_MAX, { message: `Password must be at most ${PASSWORD_MAX} characters` });

export const personNameSchema = (label: string) =>
  z
    .string({ message: `${label} is required` })
    .trim()
    .min(1, { message: `${label} is required` })
    .max(NAME_MAX, { message: `${label} must be at most ${NAME_MAX} characters` })
    .refine(noControl, { message: `${label} contains invalid characters` });

export const uuidSchema = z.uuid({ message: 'Invalid id' });

export const tokenSchema = z
  .string({ message: 'The link is incomplete' })
  .min(16, { message: 'The link is incomplete' })
  .max(128, { message: 'The link is invalid' })
  .regex(/^[A-Za-z0-9_-]+$/, { message: 'The link is invalid' });
