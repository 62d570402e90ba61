import { useSearchParams } from '@solidjs/router';
import { Match, Switch } from 'solid-js';
import { InboxPanel } from './InboxPanel';
import { OutboxPanel } from './OutboxPanel';
import { SuppressionsPanel } from './SuppressionsPanel';
import { tabListKeyDown } from '../../ui/tabs';

const TABS = ['inbox', 'outbox', 'suppressed'] as const;

/**
 * Portal > Mailbox: with no SMTP server configured, every email the portal sends is kept here (and
 * its links are printed in the server log), so a fresh install works end to end. The Outbox tab
 * shows delivery status for every transport.
 */
export default function MailboxPage() {
  const [params, setParams] = useSearchParams();
  const tab = () => (params.tab === 'outbox' || params.tab === 'suppressed' ? params.tab : 'inbox');
  const select = (id: string) => setParams(id === 'inbox' ? { tab: undefined } : { tab: id, id: undefined });

  return (
    <>
      <header class="page-header">
        <div>
          <h1>Mailbox</h1>
          <p class="muted">Emails the portal sent, and the delivery queue.</p>
        </div>
      </header>
      {/* ARIA tabs: one Tab stop; arrows, Home and End move and select. */}
      <div class="tabs" role="tablist" aria-label="Mailbox" onKeyDown={(e) => tabListKeyDown(e, TABS, tab(), select)}>
        <button
          type="button"
          class="tab"
          role="tab"
          id="tab-inbox"
          data-tab="inbox"
          tabindex={tab() === 'inbox' ? 0 : -1}
          aria-selected={tab() === 'inbox'}
          aria-controls="panel-inbox"
          onClick={() => select('inbox')}
        >
          Emails
        </button>
        <button
          type="button"
          class="tab"
          role="tab"
          id="tab-outbox"
          data-tab="outbox"
          tabindex={tab() === 'outbox' ? 0 : -1}
          aria-selected={tab() === 'outbox'}
          aria-controls="panel-outbox"
          onClick={() => select('outbox')}
        >
          Delivery queue
        </button>
        <button
          type="button"
          class="tab"
          role="tab"
          id="tab-suppressed"
          data-tab="suppressed"
          tabindex={tab() === 'suppressed' ? 0 : -1}
          aria-selected={tab() === 'suppressed'}
          aria-controls="panel-suppressed"
          onClick={() => select('suppressed')}
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
