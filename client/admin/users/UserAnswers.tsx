import { useQuery } from '@tanstack/solid-query';
import { For, Show } from 'solid-js';
import { answerText } from '../../../shared/registration-form';
import { errorMessage, trpc } from '../../lib/trpc';
import { FormError, formatDateTime } from '../../ui';

/**
 * The user page's "Registration answers" card: the answers to the sign-up fields, labelled by the
 * version of the form the user answered (a field removed since is marked so), and the terms the
 * user accepted, when, from which address and browser.
 */
export function UserAnswers(props: { userId: string }) {
  const answers = useQuery(() => ({
    queryKey: ['admin', 'users', 'answers', props.userId] as const,
    queryFn: () => trpc.admin.users.answers.ofUser.query({ userId: props.userId }),
  }));
  const terms = useQuery(() => ({
    queryKey: ['admin', 'users', 'terms', props.userId] as const,
    queryFn: () => trpc.admin.settings.terms.forUser.query({ userId: props.userId }),
  }));
  return (
    <Show when={(answers.data?.items.length ?? 0) > 0 || (terms.data?.length ?? 0) > 0 || answers.isError || terms.isError}>
      <section class="card" data-testid="user-answers">
        <h2 class="card-title">Registration answers</h2>
        <Show when={answers.isError || terms.isError}>
          <FormError message={errorMessage(answers.error ?? terms.error)} />
        </Show>
        <Show when={answers.data?.items.length}>
          <dl class="details">
            <For each={answers.data!.items}>
              {(a) => (
                <>
                  <dt>
                    {a.label}
                    <Show when={a.removed}>
                      <span class="muted text-sm"> (field removed since)</span>
                    </Show>
                  </dt>
                  <dd style={{ 'white-space': 'pre-wrap', 'overflow-wrap': 'anywhere' }} data-testid={`user-answer-${a.key}`}>
                    {answerText(a.value)}
                  </dd>
                </>
              )}
            </For>
          </dl>
          <p class="muted text-sm">Answered on version {answers.data!.formVersion} of the registration form.</p>
        </Show>
        <Show when={terms.data?.length}>
          <h3>Terms accepted</h3>
          <table class="table" data-testid="user-terms">
            <thead>
              <tr>
                <th>Terms</th>
                <th>Version</th>
                <th>Accepted</th>
                <th class="hide-sm">IP address</th>
                <th class="hide-sm">Browser</th>
              </tr>
            </thead>
            <tbody>
              <For each={terms.data}>
                {(t) => (
                  <tr>
                    <td>{t.title}</td>
                    <td>{t.versionId}</td>
                    <td>{formatDateTime(t.acceptedAt)}</td>
                    <td class="hide-sm">{t.ip || '—'}</td>
                    <td class="hide-sm truncate" title={t.userAgent}>
                      {t.userAgent || '—'}
                    </td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </Show>
      </section>
    </Show>
  );
}
