import { useQuery, useQueryClient } from '@tanstack/solid-query';
import { For, Match, Show, Switch, createMemo, createSignal } from 'solid-js';
import { displayEmail } from '../../../shared/email';
import type { MailboxMessageView } from '../../../shared/schemas/mail-safety';
import { errorMessage, trpc } from '../../lib/trpc';
import { Button, FormError, formatDateTime, Loading } from '../../ui';
import { mailboxMessageKey } from '../query-keys';

/** Email HTML runs in a sandboxed frame: no scripts, no access to this page; links open in a new tab. */
function emailDocument(html: string): string {
  const base = '<base target="_blank">';
  return /<head[^>]*>/i.test(html) ? html.replace(/<head([^>]*)>/i, `<head$1>${base}`) : base + html;
}

/** One kept email: its headers and links, and the body as HTML or plain text. */
export function MessageView(props: { id: number }) {
  const [view, setView] = createSignal<'html' | 'text'>('html');
  const message = useQuery(() => ({
    queryKey: mailboxMessageKey(props.id),
    queryFn: () => trpc.admin.mail.message.query({ id: props.id }),
    staleTime: Infinity,
  }));
  return (
    <section class="card mailbox-message" aria-label="Selected email">
      <Switch>
        <Match when={message.isError}>
          <FormError message={errorMessage(message.error)} />
        </Match>
        <Match when={message.data}>{(m) => <MessageBody message={m()} view={view()} setView={setView} />}</Match>
        <Match when={true}>
          <Loading />
        </Match>
      </Switch>
    </section>
  );
}

/**
 * An email addressed to another person comes with its one-time links hidden; "Reveal link" fetches
 * it in full, and the server records who revealed it (mail.link_revealed).
 */
function RevealNotice(props: { message: MailboxMessageView }) {
  const queryClient = useQueryClient();
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);
  const reveal = async () => {
    setBusy(true);
    setError(null);
    try {
      const full = await trpc.admin.mail.reveal.mutate({ id: props.message.id });
      queryClient.setQueryData(mailboxMessageKey(props.message.id), full);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="alert alert-warning" role="note" data-testid="links-hidden">
      <p>
        This email is addressed to {displayEmail(props.message.to)}, not to you: its one-time {props.message.hiddenLinks === 1 ? 'link is' : 'links are'}{' '}
        hidden. Revealing is recorded with your name.
      </p>
      <FormError message={error()} />
      <Button small variant="secondary" busy={busy()} onClick={() => void reveal()} data-testid="reveal-link">
        Reveal link
      </Button>
    </div>
  );
}

function MessageBody(props: { message: MailboxMessageView; view: 'html' | 'text'; setView: (v: 'html' | 'text') => void }) {
  const links = createMemo(() => [...new Set(props.message.text.match(/https?:\/\/[^\s<>"')\]]+/g) ?? [])].filter((l) => !l.includes('[redacted]')));
  return (
    <div class="stack">
      <div class="row-between">
        <h2 class="card-title" data-testid="mailbox-subject">
          {props.message.subject}
        </h2>
        <div class="row" role="group" aria-label="Show as">
          <Button small variant={props.view === 'html' ? 'primary' : 'secondary'} aria-pressed={props.view === 'html'} onClick={() => props.setView('html')}>
            HTML
          </Button>
          <Button small variant={props.view === 'text' ? 'primary' : 'secondary'} aria-pressed={props.view === 'text'} onClick={() => props.setView('text')}>
            Plain text
          </Button>
        </div>
      </div>
      <Show when={props.message.hiddenLinks > 0}>
        <RevealNotice message={props.message} />
      </Show>
      <dl class="details mailbox-headers">
        <dt>From</dt>
        <dd>{props.message.from}</dd>
        <dt>To</dt>
        <dd class="long-value" title={displayEmail(props.message.to)}>
          {displayEmail(props.message.to)}
        </dd>
        <dt>Date</dt>
        <dd>{formatDateTime(props.message.createdAt)}</dd>
        <dt>Template</dt>
        <dd>
          <code>{props.message.template}</code>
        </dd>
        <Show when={links().length > 0}>
          <dt>Links</dt>
          <dd class="stack-sm">
            <For each={links()}>
              {(l) => (
                <a href={l} target="_blank" rel="noopener noreferrer" class="mailbox-link">
                  {l}
                </a>
              )}
            </For>
          </dd>
        </Show>
      </dl>
      <Show
        when={props.view === 'html'}
        fallback={
          <pre class="mailbox-text" data-testid="mailbox-text">
            {props.message.text}
          </pre>
        }
      >
        <iframe
          class="mailbox-frame"
          title={`Email: ${props.message.subject}`}
          sandbox="allow-popups allow-popups-to-escape-sandbox"
          referrerpolicy="no-referrer"
          srcdoc={emailDocument(props.message.html)}
          data-testid="mailbox-frame"
        />
      </Show>
    </div>
  );
}
