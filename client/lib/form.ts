import { createSignal } from 'solid-js';
import { errorMessage, fieldErrors as serverFieldErrors } from './trpc';

export type Validator<V, D> = (values: V) => { ok: true; data: D } | { ok: false; errors: Record<string, string> };

/**
 * Form state shared by every page: values, inline errors (from the same zod schema the server
 * uses, see zodValidator), server-side field errors, a form-level error and a busy flag (buttons
 * disable while a request is in flight).
 */
export function createForm<V extends Record<string, any>, D = V>(validator: Validator<V, D>, initial: V) {
  const [values, setValues] = createSignal<V>({ ...initial });
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [formError, setFormError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  const [touched, setTouched] = createSignal(false);

  const validate = (): D | null => {
    const r = validator(values());
    if (r.ok) {
      setErrors({});
      return r.data;
    }
    setErrors(r.errors);
    return null;
  };

  /** Typed field setter; revalidates live once the user has tried to submit. */
  const set = <K extends keyof V>(key: K, value: V[K]) => {
    setValues((v) => ({ ...v, [key]: value }));
    if (touched()) validate();
  };
  const error = (key: keyof V & string) => errors()[key];

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
    field<K extends keyof V & string>(key: K) {
      return {
        value: () => values()[key] as string,
        onInput: (v: string) => set(key, v as V[K]),
        get error() {
          return error(key);
        },
      };
    },
    /** Validates, then runs the request with the busy flag; maps server errors onto fields. */
    async submit(run: (data: D) => Promise<void>) {
      setTouched(true);
      setFormError(null);
      const data = validate();
      if (data === null) return;
      setBusy(true);
      try {
        await run(data);
      } catch (e) {
        const fe = serverFieldErrors(e);
        if (Object.keys(fe).length) setErrors(fe);
        setFormError(errorMessage(e));
      } finally {
        setBusy(false);
      }
    },
  };
}
