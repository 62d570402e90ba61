import { A, useNavigate } from '@solidjs/router';
import { Show, type JSX } from 'solid-js';
import type { UserRow } from '../../../shared/schemas/users';
import { Badge, StatusBadge, formatDate, formatDateTime, statusLabel } from '../../ui';
import { PendingAge } from './PendingAge';
import { displayEmail } from '../../../shared/email';

/**
 * One row of API Consumers > Users. The whole row opens the user's page; `leading` is an optional
 * first cell (e.g. a selection checkbox) and `highlight` flashes a row that just arrived.
 */
export function UserTableRow(props: { user: UserRow; highlight?: boolean; selected?: boolean; leading?: JSX.Element; trailing?: JSX.Element }) {
  const navigate = useNavigate();
  const href = () => `/admin/users/${props.user.id}`;
  const open = (e: MouseEvent | KeyboardEvent) => {
    // Let links, buttons and checkboxes inside the row do their own thing.
    if ((e.target as HTMLElement).closest('a, button, input, label')) return;
    navigate(href());
  };
  return (
    <tr
      class="clickable"
      classList={{ 'row-highlight': !!props.highlight, selected: !!props.selected }}
      data-testid="user-row"
      data-user-id={props.user.id}
      data-status={props.user.status}
      onClick={open}
      onKeyDown={(e) => {
        if (e.key === 'Enter' && e.target === e.currentTarget) open(e);
      }}
      aria-label={`${props.user.firstName} ${props.user.lastName}, ${statusLabel(props.user.status)}`}
      tabindex="0"
    >
      <Show when={props.leading}>{props.leading}</Show>
      <td class="cell-name">
        {/* The row is the one Tab stop (Enter opens it); the link stays for the pointer and screen readers' link lists. */}
        <A class="cell-primary truncate" href={href()} tabindex="-1" title={`${props.user.firstName} ${props.user.lastName}`}>
          {props.user.firstName} {props.user.lastName}
        </A>
        <span class="cell-sub truncate" title={displayEmail(props.user.email)}>
          {displayEmail(props.user.email)}
        </span>
      </td>
      <td class="cell-status">
        <StatusBadge status={props.user.status} />
      </td>
      <td class="hide-sm cell-org" data-label="Organisation">
        {props.user.organisationName}
      </td>
      <td class="hide-sm">
        <Show when={props.user.role === 'admin'} fallback={<span class="text-secondary">Developer</span>}>
          <Badge kind="admin">Admin</Badge>
        </Show>
      </td>
      <td class="nowrap cell-date" data-label={props.user.status === 'invited' ? 'Invited' : 'Created'}>
        <time datetime={props.user.createdAt} title={formatDateTime(props.user.createdAt)}>
          {formatDate(props.user.createdAt)}
        </time>
        <Show when={props.user.status === 'pending'}>
          <PendingAge createdAt={props.user.createdAt} />
        </Show>
      </td>
      {props.trailing}
    </tr>
  );
}
