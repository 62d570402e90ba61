import { createSignal } from 'solid-js';
import { errorMessage, fieldErrors as serverFieldErrors } from './trpc';

export type Validation<D> = { ok: true; data: D } | { ok: false; errors: Record<string, string> };
/** Checks a form's values; may be asynchronous (lazyValidator) and may offer to load itself ahead of use. */
export type Validator<V, D> = ((values: V) => Validation<D> | Promise<Validation<D>>) & { preload?: () => void };

/**
 * A validator whose code (a shared schema and zod) is loaded when the form is first typed into,
 * not with the page: for the pages a visitor lands on, which must stay light (/login).
 */
export function lazyValidator<V, D>(load: () => Promise<Validator<V, D>>): Validator<V, D> {
  let loaded: Promise<Validator<V, D>> | null = null;
  const get = () =>
    (loaded ??= load().catch((e: unknown) => {
      loaded = null; // try again next time
      throw e;
    }));
  const validator: Validator<V, D> = (values) => get().then((v) => v(values));
  validator.preload = () => void get().catch(() => undefined);
  return validator;
}

/**
 * Form state shared by every page: values, inline errors (from the same zod schema the server
 * uses, see zodValidator), server-side field errors, a form-level error and a busy flag (buttons
 * disable while a request is in flight).
 */
export function createForm<V extends object, D = V>(validator: Validator<V, D>, initial: V) {
  // Whether the values differ from what the server holds is kept apart (client/lib/unsaved.ts):
  // only settings pages need it, and this file is part of the login page's first visit.
  const [values, setValues] = createSignal<V>({ ...initial });
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [formError, setFormError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  const [touched, setTouched] = createSignal(false);
  // Fields left (blurred) after being typed into: checked from then on, as the person types.
  const [blurred, setBlurred] = createSignal<ReadonlySet<string>>(new Set());
  const edited = new Set<string>();

  const apply = (r: Validation<D>): D | null => {
    if (r.ok) {
      setErrors({});
      return r.data;
    }
    setErrors(r.errors);
    return null;
  };
  // Only the newest validation's answer counts (an asynchronous one may finish after a later one).
  let latest = 0;
  const validate = (): D | null | Promise<D | null> => {
    const id = ++latest;
    const r = validator(values());
    if (!(r instanceof Promise)) return apply(r);
    return r.then((res) => (id === latest ? apply(res) : null));
  };

  const revalidate = () => void Promise.resolve(validate()).catch(() => undefined);
  /** Typed field setter; revalidates live once the user has tried to submit or has left the field. */
  const set = <K extends keyof V>(key: K, value: V[K]) => {
    setValues((v) => ({ ...v, [key]: value }));
    edited.add(key as string);
    validator.preload?.();
    if (touched() || blurred().has(key as string)) revalidate();
  };
  /** Leaving a field that was typed into checks it (not an untouched one: tabbing through says nothing). */
  const blur = (key: keyof V & string) => {
    if (!edited.has(key) || blurred().has(key)) return;
    setBlurred((b) => new Set(b).add(key));
    revalidate();
  };
  // Before a first submit, only the fields already left show their error.
  const error = (key: keyof V & string) => (touched() || blurred().has(key) ? errors()[key] : undefined);

  /**
   * A failed submit: focus goes to the first field in error, and the form-level message (role=alert,
   * so it is announced) sums up which fields need correcting, by their labels.
   */
  const invalidSubmit = (formEl: HTMLFormElement | null) => {
    const keys = Object.keys(errors());
    if (typeof document === 'undefined') return setFormError(errorSummary(keys));
    const root: ParentNode = formEl ?? document;
    const invalid = [...root.querySelectorAll<HTMLElement>('[aria-invalid="true"]')];
    const labels = invalid.map((el) => fieldLabel(el)).filter((l): l is string => !!l);
    setFormError(errorSummary(labels.length ? labels : keys));
    invalid[0]?.focus();
  };

  return {
    values,
    errors,
    formError,
    busy,
    setFormError,
    setErrors,
    set,
    error,
    /**
     * The value, input handler and error of one text field, to spread onto TextField or
     * TextAreaField: `<TextField label="Email" name="email" {...form.field('email')} />`.
     * Getters keep value and error reactive through the spread.
     */
    field(key: keyof V & string) {
      return {
        value: () => values()[key] as string,
        onInput: (v: string) => set(key, v as V[typeof key]),
        onBlur: () => blur(key),
        get error() {
          return error(key);
        },
      };
    },
    /** Validates, then runs the request with the busy flag; maps server errors onto fields. */
    async submit(run: (data: D) => Promise<void>) {
      // The form being sent: the one holding the submit button or the field Enter was pressed in.
      const formEl = typeof document === 'undefined' ? null : (document.activeElement?.closest('form') ?? null);
      setTouched(true);
      setFormError(null);
      const checked = validate();
      let data: D | null;
      if (checked instanceof Promise) {
        // A lazily loaded validator: busy while its code arrives.
        setBusy(true);
        try {
          data = await checked;
        } catch (e) {
          setFormError(errorMessage(e));
          return;
        } finally {
          setBusy(false);
        }
      } else data = checked;
      if (data === null) return invalidSubmit(formEl);
      setBusy(true);
      try {
        await run(data);
      } catch (e) {
        const fe = serverFieldErrors(e);
        const keys = Object.keys(fe);
        if (keys.length) {
          setErrors(fe);
          // Field errors about something that is not a field here (a garbled link's token): say what they are,
          // not "correct the highlighted fields" with nothing highlighted.
          const shown = keys.filter((k) => k in (values() as object));
          if (!shown.length) return setFormError(keys.map((k) => fe[k]).join('. '));
          return invalidSubmit(formEl);
        }
        setFormError(errorMessage(e));
      } finally {
        setBusy(false);
      }
    },
  };
}

/** "Please correct 2 fields: Email, Password." — the same words on every form. */
export function errorSummary(labels: string[]): string {
  const unique = [...new Set(labels)];
  if (!unique.length) return 'Please check the form and try again.';
  return unique.length === 1 ? `Please correct 1 field: ${unique[0]}.` : `Please correct ${unique.length} fields: ${unique.join(', ')}.`;
}

/** A control's label text (without the required mark), for the error summary. */
function fieldLabel(el: HTMLElement): string | null {
  // `labels` (not a label[for=…] query): no selector escaping, and it finds wrapping labels too.
  const labels = (el as HTMLInputElement).labels as NodeListOf<HTMLLabelElement> | null | undefined;
  const label = labels?.[0] ?? el.closest('label');
  const text = label?.textContent.replace(/\*/g, '').trim();
  return text || el.getAttribute('aria-label') || null;
}
