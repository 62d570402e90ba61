import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  compileEmailTemplates,
  EMAILS_DIR,
  loadEmailRenderer,
  sampleVariables,
  unknownPlaceholders,
  type EmailRenderer,
} from '../../../server/mail/renderer.js';
import { EMAIL_TEMPLATE_NAMES } from '../../../emails/templates.js';
import { TEMPLATE_CONTENT } from '../../../emails/content.js';

const ctx = { portalName: 'Acme APIs', publicUrl: 'https://portal.acme.test' };

/** The names that must show as text and do nothing else. */
const HOSTILE_NAMES = ['<script>x</script>', 'Ann\r\nBcc: x@evil.test', '<mj-include path="/etc/passwd"/>'];

describe('email templates', () => {
  let renderer: EmailRenderer;
  beforeAll(async () => {
    renderer = await loadEmailRenderer();
  });

  it('has an MJML file and a text file for every template, sharing the header and footer partials', () => {
    const files = readdirSync(EMAILS_DIR);
    for (const name of EMAIL_TEMPLATE_NAMES) {
      expect(files).toContain(`${name}.mjml`);
      expect(files).toContain(`${name}.txt`);
      const mjml = readFileSync(join(EMAILS_DIR, `${name}.mjml`), 'utf8');
      expect(mjml).toContain('<mj-include path="./partials/_header.mjml" />');
      expect(mjml).toContain('<mj-include path="./partials/_footer.mjml" />');
    }
  });

  it('renders every template with a subject, an HTML part with the portal name, and a text part, leaving no placeholder', () => {
    for (const name of EMAIL_TEMPLATE_NAMES) {
      const e = renderer.render(name, sampleVariables(name, ctx.publicUrl), ctx);
      expect(e.subject.length, name).toBeGreaterThan(5);
      expect(e.subject).not.toContain('{{');
      expect(e.html).toMatch(/^<!doctype html>/i);
      expect(e.html).toContain('Acme APIs');
      expect(e.html).toContain(`<title>${e.subject.replace(/&/g, '&amp;')}</title>`);
      expect(e.html).not.toMatch(/\{\{|\}\}|<mj-/);
      expect(e.text).not.toMatch(/\{\{|\}\}|</);
      expect(e.text).toContain('Hi ');
      expect(e.text).toContain('Acme APIs');
      // Every link the email carries is in both parts.
      for (const link of e.links) {
        expect(e.text, name).toContain(link);
        expect(e.html, name).toContain(`href="${link.replace(/&/g, '&amp;')}"`);
      }
    }
  });

  it('compiles once: the shared renderer is the same instance on every call', async () => {
    const a = await loadEmailRenderer();
    const b = await loadEmailRenderer();
    expect(a).toBe(b);
  });

  it('shows the optional rejection reason only when there is one', () => {
    const withReason = renderer.render('registration-rejected', { firstName: 'Ada', reason: 'Not a partner' }, ctx);
    expect(withReason.html).toContain('Reason given: Not a partner');
    expect(withReason.text).toContain('Reason given: Not a partner');
    const without = renderer.render('registration-rejected', { firstName: 'Ada', reason: null }, ctx);
    expect(without.html).not.toContain('Reason given');
    expect(without.text).not.toContain('Reason given');
  });

  it('shows an invite expiry as a readable date', () => {
    const e = renderer.render(
      'invite',
      { firstName: 'Ada', inviterName: 'Grace', acceptUrl: 'https://p.test/invite?token=abc', expiresAt: '2030-01-08T10:00:00.000Z' },
      ctx,
    );
    expect(e.text).toContain('8 January 2030 at 10:00 UTC');
    expect(e.subject).toBe('Grace invited you to Acme APIs');
  });

  it.each(HOSTILE_NAMES)('renders the name %j as inert text in every part', (name) => {
    const e = renderer.render(
      'invite',
      { firstName: name, inviterName: name, acceptUrl: 'https://p.test/invite?token=abc', expiresAt: '2030-01-08T10:00:00.000Z' },
      { ...ctx, portalName: name },
    );
    // No tag, no include, no file content.
    expect(e.html).not.toContain('<script>');
    expect(e.html).not.toContain('<mj-include');
    expect(e.html).not.toMatch(/root:.*:0:0:/);
    expect(e.text).not.toMatch(/root:.*:0:0:/);
    if (name.includes('<')) expect(e.html).toContain(name.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;'));
    // No line break in the subject (a header).
    expect(e.subject).not.toMatch(/[\r\n]/);
    expect(e.text).not.toContain('\r');
    expect(e.text).not.toMatch(/^Bcc:/m);
  });

  it('writes only http(s) links', () => {
    const e = renderer.render('welcome', { firstName: 'Ada', loginUrl: 'javascript:alert(1)' }, ctx);
    expect(e.html).not.toContain('javascript:');
    expect(e.text).not.toContain('javascript:');
    expect(e.links).toEqual([]);
  });

  it("uses an admin's subject and main text, escaped, with paragraphs and linked URL placeholders", () => {
    const e = renderer.render(
      'welcome',
      { firstName: 'Ada', loginUrl: 'https://p.test/login' },
      {
        ...ctx,
        subject: 'Hello {{firstName}} from {{portalName}}',
        mainText: 'Dear {{firstName}} <b>friend</b>,\n\nStart here: {{loginUrl}}\nSee you soon.',
      },
    );
    expect(e.subject).toBe('Hello Ada from Acme APIs');
    expect(e.html).toContain('Dear Ada &lt;b&gt;friend&lt;/b&gt;,</p>');
    expect(e.html).toContain('Start here: <a href="https://p.test/login"');
    expect(e.html).toContain('<br />See you soon.');
    expect(e.text).toContain('Dear Ada <b>friend</b>,\n\nStart here: https://p.test/login\nSee you soon.');
  });

  it('names placeholders a template does not provide', () => {
    expect(unknownPlaceholders('welcome', 'Hi {{firstName}} {{resetUrl}} {{ portalName }} {{nope}}')).toEqual(['resetUrl', 'nope']);
    expect(unknownPlaceholders('password-reset', TEMPLATE_CONTENT['password-reset'].mainText)).toEqual([]);
  });

  it('refuses to start with a broken template (unknown variable) instead of sending it', async () => {
    const { mkdtempSync, cpSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'admit-emails-'));
    cpSync(EMAILS_DIR, dir, { recursive: true });
    writeFileSync(join(dir, 'welcome.txt'), 'Hi {{fristName}}\n');
    await expect(compileEmailTemplates(dir)).rejects.toThrow(/welcome\.txt: unknown variable "fristName"/);
  });
});
