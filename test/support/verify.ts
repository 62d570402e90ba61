import type { TestApp } from './app.js';
import type { SmtpPeer } from './smtp.js';
import { writeSetting } from '../../server/settings/settings.repository.js';

const LINK = /https?:\/\/[^\s<>"')\]]*\/verify-email#token=([A-Za-z0-9_-]+)/;

/**
 * The newest verification link emailed to this address, read where the mail really went: the
 * SMTP peer when one is given, otherwise the development mailbox (mailbox_message). Waits for it.
 * Pass `after` (the count of earlier verification emails) to wait for a newer one.
 */
export async function verificationLink(
  app: TestApp,
  email: string,
  opts: { smtp?: SmtpPeer; after?: number; timeoutMs?: number } = {},
): Promise<{ url: string; token: string; count: number }> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  const after = opts.after ?? 0;
  for (;;) {
    let texts: string[];
    if (opts.smtp) {
      texts = opts.smtp
        .messagesTo(email)
        .map((m) => m.text)
        .filter((t) => LINK.test(t));
    } else {
      const rows = await app.services
        .em()
        .execute<{ text: string }[]>(`select text from mailbox_message where lower(to_address) = lower(?) and template = 'verify-email' order by id`, [email]);
      texts = rows.map((r) => r.text);
    }
    if (texts.length > after) {
      const m = LINK.exec(texts[texts.length - 1]!)!;
      return { url: m[0], token: m[1]!, count: texts.length };
    }
    if (Date.now() > deadline) throw new Error(`no verification email to ${email} (after ${after})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Reads the emailed link and presses "Verify" (auth.verifyEmail.confirm) as its owner would. */
export async function verifyByEmail(app: TestApp, email: string, opts: { smtp?: SmtpPeer; ip?: string } = {}) {
  const { token } = await verificationLink(app, email, opts.smtp ? { smtp: opts.smtp } : {});
  const caller = app.caller(opts.ip ? { ip: opts.ip } : {});
  const result = await caller.auth.verifyEmail.confirm({ token });
  return { ...result, caller };
}

/** Turns "Require email verification" on or off (tests where verification is not what they test turn it off). */
export async function setRequireEmailVerification(app: TestApp, on: boolean): Promise<void> {
  await writeSetting(app.services.em(), 'requireEmailVerification', on);
}

/**
 * Turns off the sign-up form's timing and proof-of-work checks (Settings › Security), for tests
 * that call auth.signup directly and are not about bot protection.
 */
export async function relaxBotChecks(app: TestApp): Promise<void> {
  const em = app.services.em();
  const rows = await em.execute<{ value: Record<string, unknown> }[]>(`select value from setting where key = 'security'`);
  await writeSetting(em, 'security', { ...(rows[0]?.value ?? {}), powEnabled: false, minSubmitSeconds: 0 });
}
