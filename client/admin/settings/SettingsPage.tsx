import { A } from '@solidjs/router';
import type { JSX } from 'solid-js';
import { useMe } from '../../lib/session';

/** Settings: the portal's policies, one tab per area; /admin/settings opens General. */
export default function SettingsPage(props: { children?: JSX.Element }) {
  const me = useMe();
  return (
    <>
      <header class="page-header">
        <div>
          <h1>Settings</h1>
          <p class="muted">{me.data?.portalName}</p>
        </div>
      </header>
      <nav class="tabs" aria-label="Settings">
        <A class="tab" href="/admin/settings" end activeClass="active">
          General
        </A>
        <A class="tab" href="/admin/settings/emails" activeClass="active">
          Emails
        </A>
        <A class="tab" href="/admin/settings/sessions" activeClass="active">
          Sessions &amp; passwords
        </A>
        <A class="tab" href="/admin/settings/security" activeClass="active">
          Security
        </A>
        <A class="tab" href="/admin/settings/registration-form" activeClass="active">
          Registration form
        </A>
        <A class="tab" href="/admin/settings/terms" activeClass="active">
          Terms
        </A>
        <A class="tab" href="/admin/settings/webhooks" activeClass="active">
          Webhooks
        </A>
        <A class="tab" href="/admin/settings/api-tokens" activeClass="active">
          API tokens
        </A>
      </nav>
      <div class="tab-panel">{props.children}</div>
    </>
  );
}
