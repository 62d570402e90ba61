import { useMe } from '../lib/session';

/** Settings: the portal's policies. */
export default function SettingsPage() {
  const me = useMe();
  return (
    <>
      <header class="page-header">
        <div>
          <h1>Settings</h1>
          <p class="muted">{me.data?.portalName}</p>
        </div>
      </header>
    </>
  );
}
