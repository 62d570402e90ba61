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
  const [values, setValues] = createSignal<V>({ ...initial });
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [formError, setFormError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  const [touched, setTouched] = createSignal(false);

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

  /** Typed field setter; revalidates live once the user has tried to submit. */
  const set = <K extends keyof V>(key: K, value: V[K]) => {
    setValues((v) => ({ ...v, [key]: value }));
    validator.preload?.();
    if (touched()) void Promise.resolve(validate()).catch(() => undefined);
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
    field(key: keyof V & string) {
      return {
        value: () => values()[key] as string,
        onInput: (v: string) => set(key, v as V[typeof key]),
        get error() {
          return error(key);
        },
      };
    },
    /** Validates, then runs the request with the busy flag; maps server errors onto fields. */
    async submit(run: (data: D) => Promise<void>) {
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
