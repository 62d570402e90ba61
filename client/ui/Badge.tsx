import type { JSX } from 'solid-js';

type Status = 'pending' | 'active' | 'rejected' | 'inactive' | 'invited' | 'unverified';

const STATUS_LABELS: Record<Status, string> = {
  pending: 'Pending',
  active: 'Active',
  rejected: 'Rejected',
  inactive: 'Inactive',
  invited: 'Invited',
  unverified: 'Unverified',
};

/** Human label for a status string; unknown values are capitalised as-is. */
export function statusLabel(status: string): string {
  return (STATUS_LABELS as Record<string, string>)[status] ?? status.charAt(0).toUpperCase() + status.slice(1);
}

/** <StatusBadge status="pending" /> → <span class="badge badge-pending">Pending</span> */
export function StatusBadge(props: { status: Status | (string & {}); class?: string }): JSX.Element {
  return (
    <span class={`badge badge-${props.status}${props.class ? ` ${props.class}` : ''}`} data-status={props.status}>
      {statusLabel(props.status)}
    </span>
  );
}

/** Generic badge: <Badge kind="admin">Admin</Badge> → class "badge badge-admin". */
export function Badge(props: { kind?: string; class?: string; title?: string; children: JSX.Element }): JSX.Element {
  return (
    <span class={`badge${props.kind ? ` badge-${props.kind}` : ''}${props.class ? ` ${props.class}` : ''}`} title={props.title}>
      {props.children}
    </span>
  );
}
