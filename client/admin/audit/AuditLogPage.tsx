import { A, useSearchParams } from '@solidjs/router';
import { useInfiniteQuery, useQuery } from '@tanstack/solid-query';
import { For, Match, Show, Switch, createMemo, createSignal } from 'solid-js';
import { AUDIT_ACTIONS } from '../../../shared/audit';
import { AUDIT_EXPORT_PATH, AUDIT_SEARCH_MAX, type AuditEvent, type AuditFilterInput, type AuditPerson } from '../../../shared/schemas/audit';
import { errorMessage, trpc } from '../../lib/trpc';
import { Badge, Button, FormError, Loading, SelectField, TextField, formatDateTime } from '../../ui';
import { AUDIT_KEY, RETENTION_SETTINGS_KEY } from '../query-keys';

const PAGE_SIZE = 50;

/** The filters as the page's address keeps them: typed text, and dates as YYYY-MM-DD (local days). */
interface PageFilter {
  actor: string;
  action: string;
  target: string;
  organisation: string;
  from: string;
  to: string;
}
const EMPTY: PageFilter = { actor: '', action: '', target: '', organisation: '', from: '', to: '' };
const KEYS = Object.keys(EMPTY) as (keyof PageFilter)[];

/** A local calendar day's start as an instant; `nextDay` gives the start of the day after (an inclusive "to" day). */
function dayStart(day: string, nextDay = false): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const d = new Date(`${day}T00:00:00`);
  if (Number.isNaN(d.getTime())) return undefined;
  if (nextDay) d.setDate(d.getDate() + 1);
  return d.toISOString();
}

/** The server's filter for the page's: empty fields left out, days turned into instants. */
function toServerFilter(f: PageFilter): AuditFilterInput {
  const out: AuditFilterInput = {};
  if (f.actor.trim()) out.actor = f.actor.trim();
  if (f.action) out.action = f.action;
  if (f.target.trim()) out.target = f.target.trim();
  if (f.organisation.trim()) out.organisation = f.organisation.trim();
  const from = dayStart(f.from);
  const to = dayStart(f.to, true);
  if (from) out.from = from;
  if (to) out.to = to;
  return out;
}

/** Portal › Audit log: every change across the portal, newest first, searchable by person, action, organisation and time; exportable as CSV. */
export default function AuditLogPage() {
  const [params, setParams] = useSearchParams();
  const fromUrl = (): PageFilter => Object.fromEntries(KEYS.map((k) => [k, typeof params[k] === 'string' ? params[k] : ''])) as unknown as PageFilter;
  const [draft, setDraft] = createSignal<PageFilter>(fromUrl());
  const applied = createMemo(() => toServerFilter(fromUrl()));
  const set = (k: keyof PageFilter) => (v: string) => setDraft((d) => ({ ...d, [k]: v }));

  const events = useInfiniteQuery(() => ({
    queryKey: [...AUDIT_KEY, applied()],
    queryFn: ({ pageParam }) => trpc.admin.audit.list.query({ filter: applied(), cursor: pageParam, limit: PAGE_SIZE }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    retry: false,
  }));
  const items = createMemo<AuditEvent[]>(() => events.data?.pages.flatMap((p) => p.items) ?? []);
  const retention = useQuery(() => ({ queryKey: RETENTION_SETTINGS_KEY, queryFn: () => trpc.admin.settings.retention.get.query() }));

  const csvHref = () => {
    const q = new URLSearchParams(Object.entries(applied()).filter((e): e is [string, string] => typeof e[1] === 'string'));
    const s = q.toString();
    return s ? `${AUDIT_EXPORT_PATH}?${s}` : AUDIT_EXPORT_PATH;
  };
  const filtered = () => Object.keys(applied()).length > 0;
  const rangeError = () => {
    const d = draft();
    return d.from && d.to && d.from > d.to ? 'The end of the date range must be on or after its start' : null;
  };

  const apply = (e: Event) => {
    e.preventDefault();
    if (rangeError()) return;
    const d = draft();
    setParams(Object.fromEntries(KEYS.map((k) => [k, d[k].trim() || undefined])));
  };
  const clear = () => {
    setDraft(EMPTY);
    setParams(Object.fromEntries(KEYS.map((k) => [k, undefined])));
  };

  return (
    <>
      <header class="page-header">
        <div>
          <h1>Audit log</h1>
          <p class="muted">
            Every change across the portal, newest first.{' '}
            <Show when={retention.data}>
              {(r) => (
                <Show when={r().eventRetentionDays !== null} fallback={<>Events are kept until you set a retention period (Settings › General).</>}>
                  Events older than {r().eventRetentionDays} days are deleted (Settings › General).
                </Show>
              )}
            </Show>
          </p>
        </div>
        <div class="page-actions">
          <a class="btn btn-secondary" href={csvHref()} download="" data-testid="audit-export-csv">
            Export CSV{filtered() ? ' (filtered)' : ''}
          </a>
        </div>
      </header>

      <section class="card" aria-labelledby="audit-filters-title">
        <h2 id="audit-filters-title" class="sr-only">
          Filters
        </h2>
        <form class="audit-filters" role="search" onSubmit={apply}>
          <TextField
            label="Actor"
            name="actor"
            value={() => draft().actor}
            onInput={set('actor')}
            placeholder="Name or email"
            maxLength={AUDIT_SEARCH_MAX}
            hint="Who did it"
          />
          <SelectField
            label="Action"
            name="action"
            value={() => draft().action}
            onChange={set('action')}
            placeholder="Any action"
            options={AUDIT_ACTIONS.map((a) => ({ value: a.type, label: a.label }))}
          />
          <TextField
            label="Target user"
            name="target"
            value={() => draft().target}
            onInput={set('target')}
            placeholder="Name or email"
            maxLength={AUDIT_SEARCH_MAX}
            hint="Whom it is about"
          />
          <TextField
            label="Organisation"
            name="organisation"
            value={() => draft().organisation}
            onInput={set('organisation')}
            placeholder="Name"
            maxLength={AUDIT_SEARCH_MAX}
          />
          <TextField label="From" name="from" type="date" value={() => draft().from} onInput={set('from')} />
          <TextField label="To" name="to" type="date" value={() => draft().to} onInput={set('to')} error={rangeError()} />
          <div class="audit-filter-actions">
            <Button type="submit" variant="primary">
              Apply filters
            </Button>
            <Show when={filtered()}>
              <Button variant="ghost" onClick={clear}>
                Clear
              </Button>
            </Show>
          </div>
        </form>
      </section>

      <Switch>
        <Match when={events.isError}>
          <FormError message={errorMessage(events.error)} />
        </Match>
        <Match when={events.isPending}>
          <Loading />
        </Match>
        <Match when={items().length === 0}>
          <section class="card">
            <div class="empty-state">
              <div class="empty-title">No events{filtered() ? ' match these filters' : ' yet'}</div>
            </div>
          </section>
        </Match>
        <Match when={true}>
          <section class="card flush">
            <div class="table-wrap">
              <table class="table audit-table" aria-label="Audit log" data-testid="audit-table">
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">Event</th>
                    <th scope="col">Actor</th>
                    <th scope="col">Target</th>
                  </tr>
                </thead>
                <tbody>
                  <For each={items()}>{(e) => <AuditRow event={e} />}</For>
                </tbody>
              </table>
            </div>
          </section>
          <Show when={events.hasNextPage}>
            <div class="pagination">
              <span>{items().length} shown</span>
              <Button small onClick={() => void events.fetchNextPage()} busy={events.isFetchingNextPage}>
                Show older events
              </Button>
            </div>
          </Show>
        </Match>
      </Switch>
    </>
  );
}

function PersonLink(props: { person: AuditPerson | null; fallback: string }) {
  return (
    <Show when={props.person} fallback={<span class="muted">{props.fallback}</span>}>
      {(p) => (
        <span class="audit-person">
          <A href={`/admin/users/${p().id}`}>{p().name ?? (p().deleted ? 'Deleted user' : 'Unnamed user')}</A>
          <Show when={p().deleted}>
            {' '}
            <Badge kind="inactive">deleted</Badge>
          </Show>
          <Show when={p().email}>
            <span class="muted audit-email">{p().email}</span>
          </Show>
        </span>
      )}
    </Show>
  );
}

function AuditRow(props: { event: AuditEvent }) {
  const e = () => props.event;
  return (
    <tr data-event-type={e().type} data-testid="audit-row">
      <td class="audit-when">
        <time datetime={e().createdAt}>{formatDateTime(e().createdAt)}</time>
      </td>
      <td>
        <div>{e().sentence}</div>
        <div class="muted audit-type">
          <code>{e().type}</code>
          <Show when={e().token}>
            {(t) => (
              <>
                {' '}
                <Badge kind="admin">API token: {t().name}</Badge>
              </>
            )}
          </Show>
        </div>
      </td>
      <td>
        <PersonLink person={e().actor} fallback="System" />
      </td>
      <td>
        <PersonLink person={e().target} fallback="—" />
      </td>
    </tr>
  );
}
