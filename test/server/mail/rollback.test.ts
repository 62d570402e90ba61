import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlCount, type TestApp } from '../../support/app.js';
import { startTestAppWithSmtp, type SmtpPeer } from '../../support/smtp.js';
import { uniqueEmail } from '../../support/users.js';
import { queueEmail } from '../../../server/mail/outbox.js';

describe('an email queued in a transaction that rolls back', () => {
  let app: TestApp;
  let smtp: SmtpPeer;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    ({ app, smtp, stop } = await startTestAppWithSmtp());
  });
  afterAll(() => stop());

  it('is never sent and leaves no outbox row', async () => {
    const doomed = uniqueEmail('doomed');
    const err = await app.services
      .em()
      .transactional(async (tx) => {
        await queueEmail(tx, 'welcome', doomed, { firstName: 'Ivy', loginUrl: `${app.services.publicUrl()}/login` });
        throw new Error('the change failed after queueing');
      })
      .catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect(await sqlCount(app, `select count(*) from email_outbox where to_address = ?`, [doomed])).toBe(0);

    // A committed email queued afterwards arrives; by then the rolled-back one would have too.
    const marker = uniqueEmail('marker');
    await app.services.em().transactional((tx) => queueEmail(tx, 'welcome', marker, { firstName: 'Jo', loginUrl: `${app.services.publicUrl()}/login` }));
    await smtp.waitForMessageTo(marker);
    await app.mailWorker!.drain();
    expect(smtp.messagesTo(doomed)).toHaveLength(0);
  });

  it('refuses to queue outside a transaction', async () => {
    await expect(queueEmail(app.services.em(), 'welcome', uniqueEmail(), { firstName: 'K', loginUrl: 'http://x/login' })).rejects.toThrow(
      /inside a transaction/,
    );
  });
});
