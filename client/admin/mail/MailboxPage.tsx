import { useSearchParams } from '@solidjs/router';
import { Match, Switch } from 'solid-js';
import { InboxPanel } from './InboxPanel';
import { OutboxPanel } from './OutboxPanel';
import { SuppressionsPanel } from './SuppressionsPanel';

/**
 * Portal > Mailbox: with no SMTP server configured, every email the portal sends is kept here (and
 * its links are printed in the server log), so a fresh install works end to end. The Outbox tab
 * shows delivery status for every transport.
 */
export default function MailboxPage() {
  const [params, setParams] = useSearchParams();
  const tab = () => (params.tab === 'outbox' || params.tab === 'suppressed' ? params.tab : 'inbox');

  return (
    <>
      <header class="page-header">
        <div>
          <h1>Mailbox</h1>
          <p class="muted">Emails the portal sent, and the delivery queue.</p>
        </div>
      </header>
      <div class="tabs" role="tablist" aria-label="Mailbox">
        <button
          type="button"
          class="tab"
          role="tab"
          id="tab-inbox"
          aria-selected={tab() === 'inbox'}
          aria-controls="panel-inbox"
          onClick={() => setParams({ tab: undefined })}
        >
          Emails
        </button>
        <button
          type="button"
          class="tab"
          role="tab"
          id="tab-outbox"
          aria-selected={tab() === 'outbox'}
          aria-controls="panel-outbox"
          onClick={() => setParams({ tab: 'outbox', id: undefined })}
        >
          Delivery queue
        </button>
        <button
          type="button"
          class="tab"
          role="tab"
          id="tab-suppressed"
          aria-selected={tab() === 'suppressed'}
          aria-controls="panel-suppressed"
          onClick={() => setParams({ tab: 'suppressed', id: undefined })}
        >
          Suppressed addresses
        </button>
      </div>
      <Switch fallback={<InboxPanel />}>
        <Match when={tab() === 'outbox'}>
          <OutboxPanel />
        </Match>
        <Match when={tab() === 'suppressed'}>
          <SuppressionsPanel />
        </Match>
      </Switch>
    </>
  );
}
