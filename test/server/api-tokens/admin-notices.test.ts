import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAppWithSmtp, type SmtpPeer } from '../../support/smtp.js';
import type { TestApp } from '../../support/app.js';
import { insertUser, loginAs } from '../../support/users.js';

describe('admins are emailed when an API token is created', () => {
  let app: TestApp;
  let smtp: SmtpPeer;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    ({ app, smtp, stop } = await startTestAppWithSmtp());
  });
  afterAll(() => stop());

  it('sends one email to every active admin (the creator too), none to others, naming the creator and the token but never the token itself', async () => {
    const creator = await insertUser(app, { role: 'admin', firstName: 'Ada', lastName: 'Lovelace' });
    const colleague = await insertUser(app, { role: 'admin', firstName: 'Grace' });
    const former = await insertUser(app, { role: 'admin', status: 'inactive' });
    const developer = await insertUser(app, { role: 'developer' });
    const caller = app.caller({ sessionId: await loginAs(app, creator.email, creator.password!) });
    const { token } = await caller.admin.settings.apiTokens.create({ name: 'Billing export', scopes: ['users:read'], expiresInDays: 90 });

    const mail = await smtp.waitForMessageTo(colleague.email);
    expect(mail.subject).toMatch(/^New API token at .+: Billing export$/);
    expect(mail.text).toContain('Hi Grace');
    expect(mail.text).toContain(`Ada Lovelace (${creator.email}) created a new API token named "Billing export"`);
    expect(mail.links.some((l) => l.endsWith('/admin/settings/api-tokens'))).toBe(true);
    expect(mail.html).toContain('/admin/settings/api-tokens');
    await smtp.waitForMessageTo(creator.email);
    for (const m of smtp.messages) expect(m.raw).not.toContain(token.slice(10));
    // Exactly the active admins were queued (the outbox is the whole truth: the worker sends only what is there).
    const queued = await app.services
      .em()
      .execute<{ to_address: string }[]>(`select to_address from email_outbox where template = 'admin-new-credential' order by to_address`);
    const admins = await app.services.em().execute<{ email: string }[]>(`select email from app_user where role = 'admin' and status = 'active' order by email`);
    expect(queued.map((q) => q.to_address)).toEqual(admins.map((a) => a.email));
    expect(queued.map((q) => q.to_address)).not.toContain(former.email);
    expect(smtp.messagesTo(former.email)).toHaveLength(0);
    expect(smtp.messagesTo(developer.email)).toHaveLength(0);
    expect(smtp.messagesTo(colleague.email)).toHaveLength(1);
  });

  it('a refused creation (bad input) emails nobody', async () => {
    const admin = await insertUser(app, { role: 'admin' });
    const caller = app.caller({ sessionId: await loginAs(app, admin.email, admin.password!) });
    const count = async () =>
      Number((await app.services.em().execute<{ n: string }[]>(`select count(*) as n from email_outbox where template = 'admin-new-credential'`))[0]!.n);
    const before = await count();
    await expect(caller.admin.settings.apiTokens.create({ name: 'x', scopes: [], expiresInDays: 30 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(await count()).toBe(before);
  });
});
