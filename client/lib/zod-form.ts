import type { z } from 'zod';
import type { Validator } from './form';

/** Validates a form with the shared zod schema the server applies to the same input. */
export function zodValidator<S extends z.ZodType>(schema: S): Validator<z.input<S> & Record<string, any>, z.output<S>> {
  return (values) => {
    const r = schema.safeParse(values);
    if (r.success) return { ok: true, data: r.data };
    const errors: Record<string, string> = {};
    for (const issue of r.error.issues) {
      const k = issue.path.join('.') || '_';
      if (!(k in errors)) errors[k] = issue.message;
    }
    return { ok: false, errors };
  };
}
