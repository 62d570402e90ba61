import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EMAIL_TEMPLATE_NAMES, type EmailTemplateName, type EmailTemplateVariables } from '../../emails/templates.js';
import { ANSWERS_PLACEHOLDER, COMMON_VARIABLES, TEMPLATE_CONTENT, placeholdersOf } from '../../emails/content.js';

export const EMAILS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'emails');

/*
 * How rendering stays safe and fast: each MJML file (with its partials) is compiled to HTML ONCE,
 * with `{{placeholders}}` left in place. Rendering an email only walks that pre-split HTML and drops
 * in escaped values. No value ever passes through MJML (so `<mj-include>` in a name is just text),
 * and every value is HTML-escaped in the HTML part and stripped of line breaks in headers.
 *
 * Placeholder syntax inside the template files:
 *   {{name}}            a variable, escaped
 *   {{{mainText}}}      the (overridable) main text, rendered from plain text to paragraphs
 *   {{#if name}}…{{/if}} kept only when the variable is non-empty
 *   {{> _footer}}       (.txt files only) a partial from emails/partials/, resolved at compile time
 */

type Node = { t: 'text'; v: string } | { t: 'var'; name: string } | { t: 'main' } | { t: 'if'; name: string; children: Node[] };

interface CompiledTemplate {
  html: Node[];
  text: Node[];
}

export interface RenderContext {
  portalName: string;
  publicUrl: string;
  /** Admin overrides from Settings > Emails; the shipped words are used when absent. */
  subject?: string | null;
  mainText?: string | null;
}

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
  /** The action links the email carries (for the server log in mailbox mode). */
  links: string[];
}

export class UnknownTemplateError extends Error {
  constructor(name: string) {
    super(`Unknown email template "${name}"`);
    this.name = 'UnknownTemplateError';
  }
}

const TOKEN_RE = /\{\{\{\s*mainText\s*\}\}\}|\{\{#if\s+([A-Za-z_]\w*)\s*\}\}|\{\{\/if\s*\}\}|\{\{\s*([A-Za-z_]\w*)\s*\}\}/g;

function parse(src: string, known: Set<string>, where: string): Node[] {
  const root: Node[] = [];
  const stack: { name: string; children: Node[] }[] = [];
  const out = () => (stack.length ? stack[stack.length - 1]!.children : root);
  const pushText = (v: string) => {
    if (!v) return;
    if (v.includes('{{')) throw new Error(`${where}: malformed placeholder near "${v.slice(v.indexOf('{{'), v.indexOf('{{') + 30)}"`);
    out().push({ t: 'text', v });
  };
  let last = 0;
  for (const m of src.matchAll(TOKEN_RE)) {
    pushText(src.slice(last, m.index));
    last = m.index + m[0].length;
    if (m[0].startsWith('{{{')) out().push({ t: 'main' });
    else if (m[1]) {
      if (!known.has(m[1])) throw new Error(`${where}: unknown variable "${m[1]}" in {{#if}}`);
      const node = { t: 'if' as const, name: m[1], children: [] as Node[] };
      out().push(node);
      stack.push(node);
    } else if (m[0].startsWith('{{/if')) {
      if (!stack.pop()) throw new Error(`${where}: {{/if}} without {{#if}}`);
    } else {
      if (!known.has(m[2]!)) throw new Error(`${where}: unknown variable "${m[2]}"`);
      out().push({ t: 'var', name: m[2]! });
    }
  }
  pushText(src.slice(last));
  if (stack.length) throw new Error(`${where}: {{#if ${stack[stack.length - 1]!.name}}} is never closed`);
  return root;
}

// ---------------------------------------------------------------------------------------------
// Values

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** Variables are single-line values: control characters (CR/LF included) become spaces. */
function singleLine(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ');
}

/** For headers (subject, display names): no control characters, no runs of spaces, bounded. */
export function headerSafe(s: string, max = 250): string {
  const v = singleLine(s).replace(/\s+/g, ' ').trim();
  return v.length > max ? v.slice(0, max - 1).trimEnd() + '…' : v;
}

const isUrlVariable = (name: string) => name === 'publicUrl' || name.endsWith('Url');
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
const dateFormat = new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' });

/** Only http(s) links are ever written into an email; anything else renders empty. */
function safeUrl(s: string): string {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:' ? s : '';
  } catch {
    return '';
  }
}

function plainValue(name: string, v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
  s = singleLine(s).trim();
  if (isUrlVariable(name)) return safeUrl(s);
  // Timestamps (e.g. an invite's expiresAt) are shown to people, not machines.
  if (name.endsWith('At') && ISO_DATETIME.test(s)) {
    const d = new Date(s);
    if (!Number.isNaN(d.getTime())) return `${dateFormat.format(d)} UTC`;
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Main text and subject: plain text with {{placeholders}}, possibly written by an admin.

type InlineNode = { t: 'text'; v: string } | { t: 'var'; name: string };
const INLINE_RE = /\{\{\s*([A-Za-z_]\w*(?:\.\w+)?)\s*\}\}/g;

/** A placeholder the template provides; `answers.<key>` (emails/content.ts ANSWERS_PLACEHOLDER) names any sign-up field. */
function isKnown(known: Set<string>, name: string): boolean {
  return known.has(name) || (known.has(ANSWERS_PLACEHOLDER) && /^answers\.\w+$/.test(name));
}

/** A variable's value; `answers.company` reads values.answers.company. */
function valueOf(values: Record<string, unknown>, name: string): unknown {
  const dot = name.indexOf('.');
  if (dot < 0) return values[name];
  const inner = values[name.slice(0, dot)];
  return inner && typeof inner === 'object' ? (inner as Record<string, unknown>)[name.slice(dot + 1)] : undefined;
}

function parseInline(src: string, known: Set<string>): InlineNode[] {
  const out: InlineNode[] = [];
  let last = 0;
  for (const m of src.matchAll(INLINE_RE)) {
    // Unknown names stay visible as typed, so a preview shows the mistake (saving refuses them).
    if (!isKnown(known, m[1]!)) continue;
    if (m.index > last) out.push({ t: 'text', v: src.slice(last, m.index) });
    out.push({ t: 'var', name: m[1]! });
    last = m.index + m[0].length;
  }
  if (last < src.length) out.push({ t: 'text', v: src.slice(last) });
  return out;
}

/** Placeholders in an admin's text that the template does not provide. */
export function unknownPlaceholders(template: EmailTemplateName, text: string): string[] {
  const known = new Set(placeholdersOf(template));
  const bad = new Set<string>();
  for (const m of text.matchAll(/\{\{\s*([^{}]*?)\s*\}\}/g)) if (!isKnown(known, m[1]!)) bad.add(m[1]!);
  return [...bad];
}

function paragraphs(mainText: string): string[][] {
  return mainText
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t]*\n/)
    .map((p) =>
      p
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== ''),
    )
    .filter((lines) => lines.length > 0);
}

function mainTextHtml(mainText: string, known: Set<string>, values: Record<string, unknown>): string {
  const paras = paragraphs(mainText);
  return paras
    .map((lines, i) => {
      const body = lines
        .map((line) =>
          parseInline(line, known)
            .map((n) => {
              if (n.t === 'text') return escapeHtml(n.v);
              const v = plainValue(n.name, valueOf(values, n.name));
              if (isUrlVariable(n.name) && v) return `<a href="${escapeHtml(v)}" style="color:#4338ca;">${escapeHtml(v)}</a>`;
              return escapeHtml(v);
            })
            .join(''),
        )
        .join('<br />');
      return `<p style="margin:0 0 ${i === paras.length - 1 ? 0 : 16}px 0;">${body}</p>`;
    })
    .join('\n');
}

function mainTextPlain(mainText: string, known: Set<string>, values: Record<string, unknown>): string {
  return paragraphs(mainText)
    .map((lines) =>
      lines
        .map((line) =>
          parseInline(line, known)
            .map((n) => (n.t === 'text' ? n.v : plainValue(n.name, valueOf(values, n.name))))
            .join(''),
        )
        .join('\n'),
    )
    .join('\n\n');
}

function fillInline(src: string, known: Set<string>, values: Record<string, unknown>): string {
  return parseInline(src, known)
    .map((n) => (n.t === 'text' ? n.v : plainValue(n.name, valueOf(values, n.name))))
    .join('');
}

// ---------------------------------------------------------------------------------------------

function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false) return false;
  if (typeof v === 'string') return v.trim() !== '';
  return true;
}

function walk(nodes: Node[], values: Record<string, unknown>, main: string, html: boolean, out: string[]): void {
  for (const n of nodes) {
    if (n.t === 'text') out.push(n.v);
    else if (n.t === 'main') out.push(main);
    else if (n.t === 'var') {
      const v = n.name === 'subject' ? String(values.subject) : plainValue(n.name, valueOf(values, n.name));
      out.push(html ? escapeHtml(v) : v);
    } else if (truthy(values[n.name])) walk(n.children, values, main, html, out);
  }
}

export interface EmailRenderer {
  readonly templates: readonly EmailTemplateName[];
  has(name: string): name is EmailTemplateName;
  render<T extends EmailTemplateName>(template: T, variables: EmailTemplateVariables[T], ctx: RenderContext): RenderedEmail;
  /** For rows read back from the outbox, whose variables are untyped JSON. */
  renderUntyped(template: string, variables: Record<string, unknown>, ctx: RenderContext): RenderedEmail;
}

// MJML is heavy (about 0.8 s of imports here): loaded when the first template is compiled, not at
// process start, so /readyz does not wait for it (test/bench/start.bench.ts).
type Mjml2Html = typeof import('mjml');
let mjmlModule: Promise<Mjml2Html> | null = null;
function loadMjml(): Promise<Mjml2Html> {
  if (!mjmlModule) {
    const loading = import('mjml').then((m) => m.default);
    loading.catch(() => (mjmlModule = null));
    mjmlModule = loading;
  }
  return mjmlModule;
}

async function compileOne(dir: string, name: EmailTemplateName): Promise<CompiledTemplate> {
  const mjml2html = await loadMjml();
  const known = new Set<string>([...placeholdersOf(name), 'subject']);
  const mjmlPath = join(dir, `${name}.mjml`);
  const source = await readFile(mjmlPath, 'utf8');
  const result = await mjml2html(source, {
    filePath: mjmlPath,
    // Includes are resolved for our own template files only, and only inside emails/.
    ignoreIncludes: false,
    includePath: dir,
    validationLevel: 'strict',
    keepComments: false,
    fonts: {},
  });
  if (result.errors.length) throw new Error(`${name}.mjml: ${result.errors.map((e) => e.formattedMessage).join('; ')}`);
  let text = await readFile(join(dir, `${name}.txt`), 'utf8');
  const includes = [...text.matchAll(/\{\{>\s*(_[a-z-]+)\s*\}\}/g)];
  for (const m of includes) {
    const partial = (await readFile(join(dir, 'partials', `${m[1]}.txt`), 'utf8')).trimEnd();
    text = text.replace(m[0], partial);
  }
  return { html: parse(result.html, known, `${name}.mjml`), text: parse(text, known, `${name}.txt`) };
}

/** Compiles every template in `dir` (MJML → HTML with placeholders). Throws if any is broken. */
export async function compileEmailTemplates(dir = EMAILS_DIR): Promise<EmailRenderer> {
  const compiled = new Map<EmailTemplateName, CompiledTemplate>();
  await Promise.all(EMAIL_TEMPLATE_NAMES.map(async (n) => compiled.set(n, await compileOne(dir, n))));
  const knownByTemplate = new Map(EMAIL_TEMPLATE_NAMES.map((n) => [n, new Set(placeholdersOf(n))] as const));

  const renderer: EmailRenderer = {
    templates: EMAIL_TEMPLATE_NAMES,
    has: (name: string): name is EmailTemplateName => compiled.has(name as EmailTemplateName),
    render(template, variables, ctx) {
      return renderer.renderUntyped(template, variables, ctx);
    },
    renderUntyped(template, variables, ctx) {
      if (!renderer.has(template)) throw new UnknownTemplateError(template);
      const c = compiled.get(template)!;
      const known = knownByTemplate.get(template)!;
      const content = TEMPLATE_CONTENT[template];
      const values: Record<string, unknown> = { ...variables, portalName: ctx.portalName, publicUrl: ctx.publicUrl };
      const subject = headerSafe(fillInline(ctx.subject?.trim() ? ctx.subject : content.subject, known, values), 250);
      values.subject = subject;
      const mainText = ctx.mainText?.trim() ? ctx.mainText : content.mainText;

      const html: string[] = [];
      walk(c.html, values, mainTextHtml(mainText, known, values), true, html);
      const text: string[] = [];
      walk(c.text, values, mainTextPlain(mainText, known, values), false, text);

      const links = Object.keys(variables)
        .filter((k) => isUrlVariable(k))
        .map((k) => plainValue(k, variables[k]))
        .filter(Boolean);
      return {
        subject,
        html: html.join(''),
        text:
          text
            .join('')
            .replace(/[ \t]+\n/g, '\n')
            .replace(/\n{3,}/g, '\n\n')
            .trim() + '\n',
        links,
      };
    },
  };
  return renderer;
}

let shared: Promise<EmailRenderer> | null = null;

/** The process-wide renderer: templates are compiled on first use and cached from then on. */
export function loadEmailRenderer(): Promise<EmailRenderer> {
  if (!shared) {
    shared = compileEmailTemplates();
    shared.catch(() => {
      shared = null;
    });
  }
  return shared;
}

/** A template's sample variables with links pointing at this portal (previews and test emails). */
export function sampleVariables<T extends EmailTemplateName>(template: T, publicUrl: string): EmailTemplateVariables[T] {
  const sample = TEMPLATE_CONTENT[template].sample as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(sample)) out[k] = typeof v === 'string' ? v.replace('{{publicUrl}}', publicUrl.replace(/\/$/, '')) : v;
  return out as EmailTemplateVariables[T];
}

export { COMMON_VARIABLES };
