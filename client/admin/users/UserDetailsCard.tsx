import type { UserDetail } from '../../../shared/schemas/users';
import { StatusBadge, formatDateTime } from '../../ui';
import { displayEmail } from '../../../shared/email';

/** The user's page: the account's fields. */
export function UserDetailsCard(props: { user: UserDetail }) {
  const u = () => props.user;
  return (
    <section class="card" aria-labelledby="user-details-title">
      <div class="card-header">
        <h2 id="user-details-title">Details</h2>
      </div>
      <dl class="details">
        <dt>First name</dt>
        <dd class="long-value">{u().firstName}</dd>
        <dt>Last name</dt>
        <dd class="long-value">{u().lastName}</dd>
        <dt>Email</dt>
        <dd class="long-value" title={displayEmail(u().email)}>
          {displayEmail(u().email)}
        </dd>
        <dt>Status</dt>
        <dd>
          <StatusBadge status={u().status} />
        </dd>
        <dt>Organisation</dt>
        <dd>{u().organisation.name}</dd>
        <dt>Role</dt>
        <dd>{u().role === 'admin' ? 'Administrator' : 'Developer'}</dd>
        <dt>Password</dt>
        <dd>{u().hasPassword ? (u().mustChangePassword ? 'Set (must be changed at next login)' : 'Set') : 'Not set yet'}</dd>
        {/* Not "Registered": an account an admin added or invited was never registered (docs/glossary.md). */}
        <dt>{u().status === 'invited' ? 'Invited' : 'Account created'}</dt>
        <dd>
          <time datetime={u().createdAt}>{formatDateTime(u().createdAt)}</time>
        </dd>
        <dt>Last changed</dt>
        <dd>
          <time datetime={u().updatedAt}>{formatDateTime(u().updatedAt)}</time>
        </dd>
      </dl>
    </section>
  );
}
