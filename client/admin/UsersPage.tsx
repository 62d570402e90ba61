import { useQuery } from '@tanstack/solid-query';
import { For, Show } from 'solid-js';
import { USER_STATUSES } from '../../shared/constants';
import { trpc } from '../lib/trpc';
import { StatusBadge } from '../ui';
import { STATS_KEY } from './AdminShell';

/** API Consumers > Users. */
export default function UsersPage() {
  const stats = useQuery(() => ({ queryKey: STATS_KEY, queryFn: () => trpc.admin.overview.stats.query() }));
  return (
    <>
      <header class="page-header">
        <div>
          <h1>Users</h1>
          <p class="muted">Everyone with an account on the developer portal.</p>
        </div>
      </header>
      <Show when={stats.data}>
        {(s) => (
          <section class="card">
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">Status</th>
                  <th scope="col">Users</th>
                </tr>
              </thead>
              <tbody>
                <For each={[...USER_STATUSES]}>
                  {(status) => (
                    <tr>
                      <td><StatusBadge status={status} /></td>
                      <td>{s().byStatus[status]}</td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
          </section>
        )}
      </Show>
    </>
  );
}
