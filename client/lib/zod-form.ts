import * as z from 'zod/mini';
import type { Validation } from './form';

/** Validates a form with the shared schema (zod/mini) the server applies to the same input. */
export function zodValidator<S extends z.core.$ZodType>(schema: S): (values: z.input<S>) => Validation<z.output<S>> {
  return (values) => {
    const r = z.safeParse(schema, values);
    if (r.success) return { ok: true, data: r.data };
    const errors: Record<string, string> = {};
    for (const issue of r.error.issues) {
      const k = issue.path.join('.') || '_';
      if (!(k in errors)) errors[k] = issue.message;
    }
    return { ok: false, errors };
  };
}
