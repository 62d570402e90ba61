import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, startTestApp, type TestApp } from '../../support/app.js';
import { adminSession } from '../../support/users.js';

describe('admin preferences (admin.preferences)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.stop());

  it('keyboard shortcuts are on by default, turned off per admin, stored on the server, and leave the account version alone', async () => {
    const ann = await adminSession(app);
    const bob = await adminSession(app);
    expect(await ann.caller.admin.preferences.get()).toEqual({ keyboardShortcuts: true });

    expect(await ann.caller.admin.preferences.update({ keyboardShortcuts: false })).toEqual({ keyboardShortcuts: false });
    expect(await ann.caller.admin.preferences.get()).toEqual({ keyboardShortcuts: false });
    // Another admin's preference is theirs.
    expect(await bob.caller.admin.preferences.get()).toEqual({ keyboardShortcuts: true });
    // An update that names nothing changes nothing.
    expect(await ann.caller.admin.preferences.update({})).toEqual({ keyboardShortcuts: false });

    const [row] = await sql(app, `select keyboard_shortcuts, version from app_user where id = ?`, [ann.id]);
    expect(row).toEqual({ keyboard_shortcuts: false, version: 1 });
  });

  it('refuses a value that is not a boolean with BAD_REQUEST and changes nothing', async () => {
    const ann = await adminSession(app);
    const err = await ann.caller.admin.preferences.update({ keyboardShortcuts: 'no' as unknown as boolean }).then(
      () => null,
      (e: { code?: string }) => e,
    );
    expect(err?.code).toBe('BAD_REQUEST');
    expect(await ann.caller.admin.preferences.get()).toEqual({ keyboardShortcuts: true });
  });
});
