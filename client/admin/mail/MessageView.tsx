import { useQuery } from '@tanstack/solid-query';
import { For, Match, Show, Switch, createMemo, createSignal } from 'solid-js';
import type { MailboxMessage } from '../../../shared/schemas/mail';
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
        <Match when={message.data}>
          {(m) => <MessageBody message={m()} view={view()} setView={setView} />}
        </Match>
        <Match when={true}>
          <Loading />
        </Match>
      </Switch>
    </section>
  );
}

function MessageBody(props: { message: MailboxMessage; view: 'html' | 'text'; setView: (v: 'html' | 'text') => void }) {
  const links = createMemo(() => [...new Set(props.message.text.match(/https?:\/\/[^\s<>"')\]]+/g) ?? [])]);
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
      <dl class="details mailbox-headers">
        <dt>From</dt>
        <dd>{props.message.from}</dd>
        <dt>To</dt>
        <dd>{props.message.to}</dd>
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
