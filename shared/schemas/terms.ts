import * as z from 'zod/mini';
import { lineText, multilineText, uuidSchema } from './common.js';

export const TERMS_TITLE_MAX = 200;
export const TERMS_BODY_MAX = 100_000;
export const TERMS_URL_MAX = 2000;

/** Settings › Terms: publish a version (title, and either its text or a link to it). */
export const publishTermsInput = z
  .object({
    title: lineText('Title', TERMS_TITLE_MAX),
    body: z._default(multilineText('Text', TERMS_BODY_MAX, { required: false }), ''),
    url: z._default(
      lineText('URL', TERMS_URL_MAX, { required: false }).check(
        z.refine((v) => v === '' || /^https?:\/\/[^\s/]+/i.test(v), { error: 'URL must start with https:// or http://' }),
      ),
      '',
    ),
    /** Every user must accept this version at their next login. */
    mustReaccept: z._default(z.boolean(), false),
  })
  .check(z.refine((v) => (v.body === '') !== (v.url === ''), { path: ['body'], error: 'Give either the text of the terms or a URL to them' }));
export type PublishTermsInput = z.input<typeof publishTermsInput>;

export const termsVersionSchema = z.object({
  id: z.int(),
  title: z.string(),
  body: z.nullable(z.string()),
  url: z.nullable(z.string()),
  mustReaccept: z.boolean(),
  createdAt: z.string(),
});
export type TermsVersion = z.infer<typeof termsVersionSchema>;

/** auth.terms.current: the terms sign-up asks for, and whether the signed-in user must accept them now. */
export const currentTermsOutput = z.object({ version: z.nullable(termsVersionSchema), mustAccept: z.boolean() });
export type CurrentTermsOutput = z.infer<typeof currentTermsOutput>;

export const termsVersionIdSchema = z.int({ error: 'Please accept the terms' }).check(z.positive({ error: 'Please accept the terms' }));
export const acceptTermsInput = z.object({ versionId: termsVersionIdSchema });

export const termsVersionsOutput = z.array(z.extend(termsVersionSchema, { acceptedCount: z.int() }));

/** Who has not accepted the latest version (active users). */
export const notAcceptedOutput = z.object({
  versionId: z.nullable(z.int()),
  count: z.int(),
  items: z.array(z.object({ id: z.string(), email: z.string(), firstName: z.string(), lastName: z.string(), role: z.string() })),
});

export const userAcceptancesInput = z.object({ userId: uuidSchema });
export const userAcceptancesOutput = z.array(
  z.object({ versionId: z.int(), title: z.string(), acceptedAt: z.string(), ip: z.string(), userAgent: z.string() }),
);
