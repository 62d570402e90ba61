import { describe, expect, it } from 'vitest';
import { createRoot } from 'solid-js';
import { sameValue } from '../../../client/lib/equal';
import { createForm, type Validator } from '../../../client/lib/form';
import { createSavedState } from '../../../client/lib/unsaved';

describe('sameValue: what "unchanged" means for a form', () => {
  it('compares by content: arrays element by element, objects key by key, nested', () => {
    expect(sameValue('a', 'a')).toBe(true);
    expect(sameValue(1, 1)).toBe(true);
    expect(sameValue(NaN, NaN)).toBe(true);
    expect(sameValue(null, null)).toBe(true);
    expect(sameValue(['user.*', 'invite.*'], ['user.*', 'invite.*'])).toBe(true);
    expect(sameValue([{ key: 'company', options: ['a', 'b'] }], [{ key: 'company', options: ['a', 'b'] }])).toBe(true);
    expect(sameValue({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 })).toBe(true);
    expect(sameValue(new Date(5), new Date(5))).toBe(true);
  });

  it('tells any difference: a value, the order, a missing or extra item or key, the type', () => {
    expect(sameValue('a', 'b')).toBe(false);
    expect(sameValue(['user.*'], ['user.*', 'invite.*'])).toBe(false);
    expect(sameValue(['user.*', 'invite.*'], ['invite.*', 'user.*'])).toBe(false);
    expect(sameValue([{ key: 'company', options: ['a'] }], [{ key: 'company', options: ['a', 'b'] }])).toBe(false);
    expect(sameValue({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(sameValue({ a: 1, c: 2 }, { a: 1, b: 2 })).toBe(false);
    expect(sameValue('1', 1)).toBe(false);
    expect(sameValue([], {})).toBe(false);
    expect(sameValue(null, {})).toBe(false);
    expect(sameValue(new Date(5), new Date(6))).toBe(false);
  });
});

interface Endpoint {
  url: string;
  eventTypes: string[];
  enabled: boolean;
}
const accept: Validator<Endpoint, Endpoint> = (v) => ({ ok: true, data: v });

describe('createSavedState: a form is dirty when its values differ from the saved ones by content', () => {
  const withForm = (run: (form: ReturnType<typeof createForm<Endpoint>> & ReturnType<typeof createSavedState<Endpoint>>) => void) =>
    createRoot((dispose) => {
      const form = createForm(accept, { url: 'https://hooks.example.com/a', eventTypes: ['user.*'], enabled: true });
      run({ ...form, ...createSavedState(form.values) });
      dispose();
    });

  it('a list set to a new array with the same items is not a change; one with other items is', () => {
    withForm((form) => {
      expect(form.dirty()).toBe(false);
      form.set('eventTypes', ['user.*']); // a new array, same content (what a picker hands back)
      expect(form.dirty()).toBe(false);
      form.set('eventTypes', ['user.*', 'invite.*']);
      expect(form.dirty()).toBe(true);
      form.set('eventTypes', ['user.*']); // edited back to the saved value
      expect(form.dirty()).toBe(false);
    });
  });

  it('text edited back to the saved value is not a change; after markSaved the new values are the reference', () => {
    withForm((form) => {
      form.set('url', 'https://hooks.example.com/b');
      expect(form.dirty()).toBe(true);
      form.set('url', 'https://hooks.example.com/a');
      expect(form.dirty()).toBe(false);

      form.set('eventTypes', ['*']);
      form.set('enabled', false);
      expect(form.dirty()).toBe(true);
      form.markSaved();
      expect(form.dirty()).toBe(false);
      form.set('eventTypes', ['*']);
      expect(form.dirty()).toBe(false);
      form.set('enabled', true);
      expect(form.dirty()).toBe(true);
    });
  });
});
