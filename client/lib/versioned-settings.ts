import { errorDetails, errorReason, UserFacingError } from './trpc';

/** Settings as a page reads them: the values and the version they are at. */
type Versioned<S> = S & { version: number };

/** The values without their version (forms hold values only). */
export function valuesOf<S extends object>(s: Versioned<S>): S {
  const { version: _version, ...values } = s;
  return values as unknown as S;
}

/**
 * Someone else saved the settings after this form was loaded (`base`): their save (`theirs`) and
 * this admin's edits (`mine`) are merged field by field. A field this admin left alone takes their
 * value; a field only this admin changed keeps this admin's value; a field both changed differently
 * keeps this admin's value and is listed in `both`, so the admin decides before saving again.
 */
export function mergeForm<V extends object>(base: V, mine: V, theirs: V): { values: V; both: (keyof V)[] } {
  const values = { ...mine };
  const both: (keyof V)[] = [];
  for (const key of Object.keys(base) as (keyof V)[]) {
    if (mine[key] === base[key]) values[key] = theirs[key];
    else if (theirs[key] !== base[key] && theirs[key] !== mine[key]) both.push(key);
  }
  return { values, both };
}

/** What the form says after a merge: their changes are in, yours are kept, and where you both changed something. */
export function savedMeanwhileMessage(bothLabels: string[]): string {
  return bothLabels.length
    ? `Someone else saved these settings meanwhile. The form now has their changes and keeps yours; you both changed ${bothLabels.map((l) => `“${l}”`).join(', ')}, and yours is shown. Check, then save again.`
    : 'Someone else saved these settings meanwhile. The form now has their changes and keeps yours. Check, then save again.';
}

/**
 * A settings form's saves, each with the version the form was loaded with (or last saved at), so a
 * form opened before someone else's save never silently puts their changes back. `save` sends the
 * values with that version; when the server answers SETTINGS_CHANGED (with the current values and
 * version), the form gets their changes merged in (mergeForm), `onCurrent` is told what is current,
 * and the save fails with a message naming the fields both changed: saving again acts knowingly.
 */
export function versionedSettings<S extends object, V extends object>(opts: {
  initial: Versioned<S>;
  toForm: (values: S) => V;
  labels: Record<keyof V, string>;
  form: { values: () => V; set: <K extends keyof V>(key: K, value: V[K]) => void };
  onCurrent: (current: Versioned<S>) => void;
}) {
  let base = opts.initial;
  return {
    async save(send: (expectedVersion: number) => Promise<Versioned<S>>): Promise<Versioned<S>> {
      try {
        base = await send(base.version);
        return base;
      } catch (e) {
        const d = errorReason(e) === 'SETTINGS_CHANGED' ? (errorDetails(e) as { settings?: S; version?: number } | undefined) : undefined;
        if (!d?.settings || typeof d.version !== 'number') throw e;
        const theirs = { ...d.settings, version: d.version } as Versioned<S>;
        const merged = mergeForm(opts.toForm(valuesOf(base)), opts.form.values(), opts.toForm(d.settings));
        base = theirs;
        opts.onCurrent(theirs);
        for (const key of Object.keys(merged.values) as (keyof V)[]) opts.form.set(key, merged.values[key]);
        throw new UserFacingError(savedMeanwhileMessage(merged.both.map((k) => opts.labels[k])));
      }
    },
  };
}
