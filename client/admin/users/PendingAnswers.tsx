import { useQuery } from '@tanstack/solid-query';
import { For, type JSX } from 'solid-js';
import { answerText } from '../../../shared/registration-form';
import { trpc } from '../../lib/trpc';

/**
 * The Pending queue's extra columns: the sign-up fields marked "show in the pending queue"
 * (Settings › Registration form) and each listed user's answers. Refetched when the listed
 * users change, so a registration arriving live shows its answers too.
 */
export function createPendingAnswers(ids: () => string[], enabled: () => boolean) {
  const q = useQuery(() => ({
    queryKey: ['admin', 'users', 'answers', 'forPending', ids().join(',')] as const,
    queryFn: () => trpc.admin.users.answers.forPending.query({ userIds: ids().slice(0, 200) }),
    enabled: enabled() && ids().length > 0,
  }));
  const columns = () => (enabled() ? (q.data?.columns ?? []) : []);
  return {
    columns,
    headers: (): JSX.Element => (
      <For each={columns()}>
        {(c) => (
          <th scope="col" class="hide-sm" data-testid="answer-column">
            {c.label}
          </th>
        )}
      </For>
    ),
    cells: (userId: string): JSX.Element => (
      <For each={columns()}>
        {(c) => (
          <td class="hide-sm truncate" data-testid={`answer-${c.key}`} title={answerText(q.data?.answers[userId]?.[c.key])}>
            {answerText(q.data?.answers[userId]?.[c.key])}
          </td>
        )}
      </For>
    ),
  };
}
