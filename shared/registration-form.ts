// Sign-up fields the admin defines (Settings › Registration form). The one function that turns a
// definition into a validator, answersSchema(), runs on the register page and on the server alike.
// Formats come from a fixed list: no admin-written regular expressions (they could hang the server).
import * as z from 'zod/mini';
import { checkEmail } from './email.js';
import { normaliseText, textProblem } from './text.js';

export const FIELD_TYPES = ['text', 'longText', 'select', 'checkbox', 'url'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];
export const FIELD_FORMATS = ['url', 'email', 'phone', 'country', 'wholeNumber'] as const;
export type FieldFormat = (typeof FIELD_FORMATS)[number];
export const FIELD_TYPE_LABELS: Record<FieldType, string> = { text: 'Text', longText: 'Long text', select: 'Select', checkbox: 'Checkbox', url: 'URL' };
export const FIELD_FORMAT_LABELS: Record<FieldFormat, string> = {
  url: 'URL',
  email: 'Email address',
  phone: 'Phone number',
  country: 'Country (ISO code)',
  wholeNumber: 'Whole number',
};

export const FORM_FIELDS_MAX = 30;
export const FIELD_KEY_MAX = 40;
export const FIELD_LABEL_MAX = 100;
export const FIELD_HELP_MAX = 300;
export const FIELD_OPTIONS_MAX = 100;
export const FIELD_OPTION_MAX = 100;
export const TEXT_ANSWER_MAX = 200;
export const LONG_TEXT_ANSWER_MAX = 5000;
export const URL_ANSWER_MAX = 2000;

/** ISO 3166-1 alpha-2 country codes. */
export const COUNTRY_CODES: readonly string[] = (
  'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ ' +
  'CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR ' +
  'GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP ' +
  'KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT ' +
  'MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW ' +
  'SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG ' +
  'UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW'
).split(' ');
const COUNTRY_SET = new Set(COUNTRY_CODES);

/** A field of the form. Its order is its place in the definition's list. */
export const formFieldSchema = z
  .object({
    key: z
      .string({ error: 'Key is required' })
      .check(
        z.regex(/^[a-z][a-z0-9_]*$/, { error: 'Key must start with a letter and use only a–z, 0–9 and _' }),
        z.maxLength(FIELD_KEY_MAX, { error: `Key must be at most ${FIELD_KEY_MAX} characters` }),
      ),
    label: z.string({ error: 'Label is required' }).check(
      z.overwrite((v) => normaliseText(v, 'line')),
      z.minLength(1, { error: 'Label is required' }),
      z.maxLength(FIELD_LABEL_MAX, { error: `Label must be at most ${FIELD_LABEL_MAX} characters` }),
    ),
    helpText: z._default(
      z.string().check(
        z.overwrite((v) => normaliseText(v, 'line')),
        z.maxLength(FIELD_HELP_MAX, { error: `Help text must be at most ${FIELD_HELP_MAX} characters` }),
      ),
      '',
    ),
    type: z.enum(FIELD_TYPES, { error: 'Unknown field type' }),
    required: z._default(z.boolean(), false),
    minLength: z._default(z.nullable(z.int().check(z.gte(0), z.lte(LONG_TEXT_ANSWER_MAX))), null),
    maxLength: z._default(z.nullable(z.int().check(z.gte(1), z.lte(LONG_TEXT_ANSWER_MAX))), null),
    format: z._default(z.nullable(z.enum(FIELD_FORMATS, { error: 'Unknown format' })), null),
    options: z._default(
      z
        .array(
          z.string().check(
            z.overwrite((v) => normaliseText(v, 'line')),
            z.minLength(1, { error: 'An option cannot be empty' }),
            z.maxLength(FIELD_OPTION_MAX),
          ),
        )
        .check(z.maxLength(FIELD_OPTIONS_MAX, { error: `At most ${FIELD_OPTIONS_MAX} options` })),
      [],
    ),
    showInPendingQueue: z._default(z.boolean(), false),
  })
  .check(
    z.refine((f) => f.type !== 'select' || f.options.length > 0, { path: ['options'], error: 'A select needs at least one option' }),
    z.refine((f) => f.minLength == null || f.maxLength == null || f.minLength <= f.maxLength, {
      path: ['maxLength'],
      error: 'Maximum length is below the minimum',
    }),
    z.refine((f) => new Set(f.options).size === f.options.length, { path: ['options'], error: 'Options must be different' }),
  );
export type FormField = z.output<typeof formFieldSchema>;
export type FormFieldInput = z.input<typeof formFieldSchema>;

export const formFieldsSchema = z.array(formFieldSchema).check(
  z.maxLength(FORM_FIELDS_MAX, { error: `At most ${FORM_FIELDS_MAX} fields` }),
  z.refine((fs) => new Set(fs.map((f) => f.key)).size === fs.length, { error: 'Each field needs a different key' }),
);

/** A published definition (the newest is the form; old ones label old answers). Version 0: no fields yet. */
export const registrationFormSchema = z.object({ version: z.int(), fields: z.array(formFieldSchema) });
export type RegistrationForm = z.output<typeof registrationFormSchema>;
export const EMPTY_REGISTRATION_FORM: RegistrationForm = { version: 0, fields: [] };

export type Answers = Record<string, string | boolean>;
/** What sign-up sends: the answers and the version of the form the page showed. */
export const answersWireSchema = z.record(
  z.string().check(z.maxLength(FIELD_KEY_MAX)),
  z.union([z.string().check(z.maxLength(LONG_TEXT_ANSWER_MAX)), z.boolean()]),
);

function formatProblem(format: FieldFormat, v: string): string | null {
  switch (format) {
    case 'url':
      return isHttpUrl(v) ? null : 'must be a web address starting with https:// or http://';
    case 'email':
      return checkEmail(v).ok ? null : 'must be an email address';
    case 'phone':
      return /^\+?[0-9][0-9 ().-]{5,30}$/.test(v) && (v.match(/[0-9]/g)?.length ?? 0) >= 6 && (v.match(/[0-9]/g)?.length ?? 0) <= 15
        ? null
        : 'must be a phone number';
    case 'country':
      return COUNTRY_SET.has(v.toUpperCase()) ? null : 'must be a two-letter country code (ISO 3166)';
    case 'wholeNumber':
      return /^-?[0-9]{1,15}$/.test(v) ? null : 'must be a whole number';
  }
}

function isHttpUrl(v: string): boolean {
  if (!/^https?:\/\//i.test(v) || /\s/.test(v)) return false;
  try {
    return Boolean(new URL(v).hostname);
  } catch {
    return false;
  }
}

function textAnswer(f: FormField) {
  const kind = f.type === 'longText' ? 'multiline' : 'line';
  const hardMax = f.type === 'longText' ? LONG_TEXT_ANSWER_MAX : f.type === 'url' ? URL_ANSWER_MAX : TEXT_ANSWER_MAX;
  const max = Math.min(f.maxLength ?? hardMax, hardMax);
  const format: FieldFormat | null = f.type === 'url' ? 'url' : f.format;
  const label = f.label;
  return z.string({ error: (iss) => (iss.input === undefined ? `${label} is required` : `${label} must be text`) }).check(
    z.overwrite((v) => normaliseText(v, kind)),
    (ctx) => {
      const v = ctx.value;
      const push = (message: string): void => void ctx.issues.push({ code: 'custom', message, input: v });
      if (v === '') {
        if (f.required) push(`${label} is required`);
        return;
      }
      const problem = textProblem(v, kind);
      if (problem) {
        push(`${label} ${problem}`);
        return;
      }
      if (f.minLength != null && v.length < f.minLength) {
        push(`${label} must be at least ${f.minLength} characters`);
        return;
      }
      if (v.length > max) {
        push(`${label} must be at most ${max} characters`);
        return;
      }
      if (f.type === 'select') {
        if (!f.options.includes(v)) push(`${label}: choose one of the options`);
        return;
      }
      if (format) {
        const p = formatProblem(format, v);
        if (p) push(`${label} ${p}`);
      }
    },
  );
}

/**
 * The validator for a definition's answers: one entry per field, keyed by the field's key. Text
 * answers are normalised (NFC, trimmed); an empty optional answer is dropped; a country code is
 * upper-cased; keys the definition does not have are dropped. Used by the register page and by
 * auth.signup, so both refuse the same answers with the same messages.
 */
export function answersSchema(fields: readonly FormField[]) {
  const shape: Record<string, z.ZodMiniType> = {};
  for (const f of fields) {
    if (f.type === 'checkbox') {
      shape[f.key] = f.required
        ? z.literal(true, { error: `${f.label} must be ticked` })
        : z._default(z.boolean({ error: `${f.label} must be ticked or not` }), false);
    } else {
      const base = textAnswer(f);
      shape[f.key] = f.required ? base : z._default(base, '');
    }
  }
  return z.pipe(
    z.object(shape),
    z.transform((v: Record<string, unknown>): Answers => {
      const out: Answers = {};
      for (const f of fields) {
        const a = v[f.key];
        if (typeof a === 'boolean') out[f.key] = a;
        else if (typeof a === 'string' && a !== '') out[f.key] = f.format === 'country' ? a.toUpperCase() : a;
      }
      return out;
    }),
  );
}

/** An answer as text, for lists and emails: ticked boxes read "Yes", unticked "No". */
export function answerText(a: string | boolean | undefined): string {
  if (a === undefined) return '';
  if (typeof a === 'boolean') return a ? 'Yes' : 'No';
  return a;
}

/** Settings › Registration form: publish this list of fields as the next version. */
export const publishFormInput = z.object({ fields: formFieldsSchema });
export type PublishFormInput = z.input<typeof publishFormInput>;
/** The versions an admin can look back on: number, when, how many fields. */
export const formVersionsOutput = z.array(z.object({ version: z.int(), createdAt: z.string(), createdByName: z.nullable(z.string()), fieldCount: z.int() }));

/** A user's answers as the user page shows them: labelled by the version they answered. */
export const userAnswersOutput = z.object({
  formVersion: z.nullable(z.int()),
  items: z.array(z.object({ key: z.string(), label: z.string(), value: z.union([z.string(), z.boolean()]), removed: z.boolean() })),
});
export type UserAnswersOutput = z.infer<typeof userAnswersOutput>;

export const pendingAnswersInput = z.object({ userIds: z.array(z.uuid()).check(z.maxLength(200)) });
export const pendingAnswersOutput = z.object({
  columns: z.array(z.object({ key: z.string(), label: z.string(), type: z.enum(FIELD_TYPES) })),
  answers: z.record(z.string(), z.record(z.string(), z.union([z.string(), z.boolean()]))),
});
export type PendingAnswersOutput = z.infer<typeof pendingAnswersOutput>;
