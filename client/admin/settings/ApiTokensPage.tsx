import { useQuery, useQueryClient } from '@tanstack/solid-query';
import { createSignal, For, Match, Show, Switch } from 'solid-js';
import { API_SCOPE_DESCRIPTIONS, API_SCOPES, type ApiScope } from '../../../shared/api-scopes';
import { API_TOKEN_EXPIRY_DAYS, DEFAULT_API_TOKEN_EXPIRY_DAYS, createApiTokenInput, type ApiTokenDto } from '../../../shared/schemas/api-tokens';
import { errorMessage, fieldErrors, trpc } from '../../lib/trpc';
import { Badge, Button, CheckboxField, Dialog, FormError, Loading, SelectField, TextField, formatDateTime, toast } from '../../ui';

const API_TOKENS_KEY = ['admin', 'settings', 'apiTokens'] as const;

const EXPIRY_OPTIONS = [
  ...API_TOKEN_EXPIRY_DAYS.map((d) => ({ value: String(d), label: `${d} days${d === DEFAULT_API_TOKEN_EXPIRY_DAYS ? ' (recommended)' : ''}` })),
  { value: 'never', label: 'No expiry' },
];

/** Settings › API tokens: the signed-in admin's personal tokens for the REST API (/api/v1). */
export default function ApiTokensPage() {
  const queryClient = useQueryClient();
  const list = useQuery(() => ({ queryKey: API_TOKENS_KEY, queryFn: () => trpc.admin.settings.apiTokens.list.query() }));
  const [creating, setCreating] = createSignal(false);
  const [created, setCreated] = createSignal<{ token: string; name: string } | null>(null);
  const [revoking, setRevoking] = createSignal<ApiTokenDto | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: API_TOKENS_KEY });

  return (
    <div class="stack">
      <section class="card" aria-labelledby="api-tokens-title">
        <div class="card-header">
          <h2 id="api-tokens-title">API tokens</h2>
          <Button variant="primary" onClick={() => setCreating(true)}>
            New token
          </Button>
        </div>
        <p class="muted">
          Personal tokens for the REST API at <code>/api/v1</code> (reference:{' '}
          <a href="/api/docs" style={{ 'text-decoration': 'underline' }}>
            /api/docs
          </a>
          ). A token acts as you, limited to its scopes; every change made with it is recorded under your name and the token's name. It stops working when it
          expires, when you revoke it, or when you are no longer an active administrator. Every administrator is emailed when a token is created.
        </p>
      </section>

      <Show when={created()}>{(c) => <NewTokenCard token={c().token} name={c().name} onDismiss={() => setCreated(null)} />}</Show>

      <Switch>
        <Match when={list.isError}>
          <FormError message={errorMessage(list.error)} />
        </Match>
        <Match when={list.isPending}>
          <Loading />
        </Match>
        <Match when={list.data}>
          {(data) => (
            <Show when={data().items.length > 0} fallback={<p class="muted">You have no API tokens yet.</p>}>
              <section class="card flush">
                <div class="table-wrap">
                  <table class="table" aria-label="API tokens">
                    <thead>
                      <tr>
                        <th scope="col">Name</th>
                        <th scope="col">Scopes</th>
                        <th scope="col">Created</th>
                        <th scope="col">Expires</th>
                        <th scope="col">Last used</th>
                        <th scope="col" class="actions">
                          <span class="sr-only">Actions</span>
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      <For each={data().items}>
                        {(t) => (
                          <tr data-testid="api-token-row">
                            <td>
                              <span class="cell-primary">{t.name}</span>{' '}
                              <Show when={t.state !== 'active'}>
                                <Badge>{t.state === 'revoked' ? 'Revoked' : 'Expired'}</Badge>
                              </Show>
                            </td>
                            <td>
                              <span class="row" style={{ 'flex-wrap': 'wrap', gap: '4px' }} data-testid="api-token-scopes">
                                <For each={t.scopes}>{(s) => <code>{s}</code>}</For>
                              </span>
                            </td>
                            <td class="nowrap">{formatDateTime(t.createdAt)}</td>
                            <td class="nowrap">{t.expiresAt ? formatDateTime(t.expiresAt) : 'Never'}</td>
                            <td class="nowrap" data-testid="api-token-last-used">
                              {t.lastUsedAt ? `${formatDateTime(t.lastUsedAt)}${t.lastUsedIp ? ` from ${t.lastUsedIp}` : ''}` : 'Never used'}
                            </td>
                            <td class="actions">
                              <Show when={t.state === 'active'}>
                                <Button small variant="ghost" onClick={() => setRevoking(t)} aria-label={`Revoke ${t.name}`}>
                                  Revoke
                                </Button>
                              </Show>
                            </td>
                          </tr>
                        )}
                      </For>
                    </tbody>
                  </table>
                </div>
              </section>
            </Show>
          )}
        </Match>
      </Switch>

      <CreateTokenDialog
        open={creating()}
        onClose={() => setCreating(false)}
        onCreated={(token, name) => {
          setCreating(false);
          setCreated({ token, name });
          void refresh();
        }}
      />
      <RevokeDialog
        token={revoking()}
        onClose={() => setRevoking(null)}
        onRevoked={(name) => {
          setRevoking(null);
          toast(`Revoked ${name}`, 'success');
          void refresh();
        }}
      />
    </div>
  );
}

/** The token itself, shown once: it is not stored and cannot be shown again. */
function NewTokenCard(props: { token: string; name: string; onDismiss: () => void }) {
  const [copied, setCopied] = createSignal(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.token);
      setCopied(true);
      toast('Token copied', 'success');
    } catch {
      toast('Could not copy: select the token and copy it by hand', 'error');
    }
  };
  return (
    <section class="card" aria-labelledby="new-token-title" data-testid="new-token">
      <div class="card-header">
        <h2 id="new-token-title">Your new token: {props.name}</h2>
      </div>
      <p>
        Copy it now: it is shown only once. Store it where your integration keeps secrets, and send it as <code>Authorization: Bearer &lt;token&gt;</code>.
      </p>
      <div class="row">
        <input
          class="input mono"
          style={{ flex: '1' }}
          readOnly
          value={props.token}
          aria-label="New API token"
          data-testid="new-token-value"
          onFocus={(e) => e.currentTarget.select()}
        />
        <Button variant="primary" onClick={() => void copy()}>
          {copied() ? 'Copied' : 'Copy'}
        </Button>
        <Button onClick={() => props.onDismiss()}>Done</Button>
      </div>
    </section>
  );
}

function CreateTokenDialog(props: { open: boolean; onClose: () => void; onCreated: (token: string, name: string) => void }) {
  return (
    <Dialog open={props.open} title="New API token" onClose={() => props.onClose()} class="wide">
      <CreateTokenForm onCancel={() => props.onClose()} onCreated={(t, n) => props.onCreated(t, n)} />
    </Dialog>
  );
}

function CreateTokenForm(props: { onCancel: () => void; onCreated: (token: string, name: string) => void }) {
  const [name, setName] = createSignal('');
  const [scopes, setScopes] = createSignal<ApiScope[]>([]);
  const [expiry, setExpiry] = createSignal(String(DEFAULT_API_TOKEN_EXPIRY_DAYS));
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [formError, setFormError] = createSignal<string | undefined>();
  const [busy, setBusy] = createSignal(false);
  const toggle = (scope: ApiScope, on: boolean) => setScopes((s) => (on ? [...s.filter((x) => x !== scope), scope] : s.filter((x) => x !== scope)));

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    const input = { name: name(), scopes: API_SCOPES.filter((s) => scopes().includes(s)), expiresInDays: expiry() === 'never' ? null : Number(expiry()) };
    const parsed = createApiTokenInput.safeParse(input);
    if (!parsed.success) {
      const next: Record<string, string> = {};
      for (const issue of parsed.error.issues) {
        const key = String(issue.path[0] ?? 'form');
        if (!(key in next)) next[key] = issue.message;
      }
      setErrors(next);
      return;
    }
    setErrors({});
    setFormError(undefined);
    setBusy(true);
    try {
      // Needs a recent password check: the re-authentication link (client/lib/reauth.ts) asks for it if due.
      const res = await trpc.admin.settings.apiTokens.create.mutate(parsed.data);
      props.onCreated(res.token, res.item.name);
    } catch (err) {
      const fields = fieldErrors(err);
      setErrors(fields);
      if (Object.keys(fields).length === 0) setFormError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="stack" novalidate onSubmit={(e) => void submit(e)} data-testid="create-token-form">
      <FormError message={formError()} />
      <TextField
        label="Name"
        name="name"
        required
        maxLength={100}
        hint="What uses it, e.g. “CRM sync”. Events made with the token show this name."
        value={name}
        onInput={setName}
        error={errors().name}
      />
      <fieldset class="field">
        <legend>Scopes</legend>
        <For each={API_SCOPES}>
          {(scope) => (
            <CheckboxField
              label={scope}
              name={`scope-${scope}`}
              hint={API_SCOPE_DESCRIPTIONS[scope]}
              checked={() => scopes().includes(scope)}
              onChange={(on) => toggle(scope, on)}
            />
          )}
        </For>
        <Show when={errors().scopes}>
          <p class="field-error" role="alert">
            {errors().scopes}
          </p>
        </Show>
      </fieldset>
      <SelectField
        label="Expires after"
        name="expiresInDays"
        options={EXPIRY_OPTIONS}
        value={expiry}
        onChange={setExpiry}
        hint={expiry() === 'never' ? 'A token without expiry works until you revoke it: prefer an expiry unless an integration must never stop.' : undefined}
        error={errors().expiresInDays}
      />
      <div class="dialog-footer">
        <Button onClick={() => props.onCancel()}>Cancel</Button>
        <Button type="submit" variant="primary" busy={busy()}>
          Create token
        </Button>
      </div>
    </form>
  );
}

function RevokeDialog(props: { token: ApiTokenDto | null; onClose: () => void; onRevoked: (name: string) => void }) {
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<string | undefined>();
  const revoke = async () => {
    const t = props.token;
    if (!t) return;
    setBusy(true);
    setError(undefined);
    try {
      await trpc.admin.settings.apiTokens.revoke.mutate({ id: t.id });
      props.onRevoked(t.name);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog
      open={props.token !== null}
      title={`Revoke ${props.token?.name ?? 'token'}?`}
      description="Integrations using this token stop working at their next request. This cannot be undone."
      onClose={() => props.onClose()}
      footer={
        <>
          <Button onClick={() => props.onClose()}>Cancel</Button>
          <Button variant="danger" busy={busy()} onClick={() => void revoke()}>
            Revoke token
          </Button>
        </>
      }
    >
      <FormError message={error()} />
    </Dialog>
  );
}
