import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, problemDetail, unwrap } from '../api.ts';
import { Card } from '../components/card.tsx';
import { SelectField } from '../components/fields.tsx';
import { useCan, useSession } from '../session.tsx';
import { OriginsEditor, PlaybookEditor, RulesEditor } from './settings-editors.tsx';
import { ApiKeys, Secret } from './settings-keys.tsx';

const ROLES = ['admin', 'member', 'viewer'] as const;

export function Settings() {
  const session = useSession();
  const can = useCan();
  const [error, setError] = useState<string | null>(null);
  const onError = (e: unknown) => setError(problemDetail(e));
  const workspace = useQuery({ queryKey: ['workspace'], queryFn: () => unwrap(api.GET('/v1/workspace')) });
  const rules = useQuery({ queryKey: ['rules'], queryFn: () => unwrap(api.GET('/v1/scoring/rules')) });
  const playbooks = useQuery({ queryKey: ['playbooks'], queryFn: () => unwrap(api.GET('/v1/playbooks')) });
  const users = useQuery({ queryKey: ['users'], queryFn: () => unwrap(api.GET('/v1/users')) });
  const rotate = useMutation({
    mutationFn: () => unwrap(api.POST('/v1/webhook-secrets/rotate', { body: { overlapSeconds: 86_400 } })),
    onError,
  });
  const invite = useMutation({
    mutationFn: (body: { email: string; role: (typeof ROLES)[number] }) =>
      unwrap(api.POST('/v1/users/invitations', { body })),
    onError,
  });
  const onInvite = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    invite.mutate({
      email: String(form.get('email')),
      role: String(form.get('role')) as (typeof ROLES)[number],
    });
  };
  const origin = window.location.origin;
  const snippet = `<script src="${origin}/widget.js" data-leadloop-key="WIDGET_KEY" async></script>`;
  return (
    <section aria-labelledby="settings-title" className="settings">
      <h1 id="settings-title">Settings</h1>
      {error && <p role="alert">{error}</p>}
      <Card title="Workspace">
        <p>
          {(workspace.data as { name?: string } | undefined)?.name} · <code>{session.workspaceId}</code>
        </p>
      </Card>
      <ApiKeys />
      <Card title="Webhook signing secret">
        <p className="small muted">After a rotation the previous secret still verifies for 24 hours.</p>
        {can.administer && (
          <button type="button" onClick={() => rotate.mutate()} disabled={rotate.isPending}>
            Rotate secret
          </button>
        )}
        {rotate.data && <Secret label="New webhook secret" value={rotate.data.secret} />}
      </Card>
      <Card title="Chat widget">
        <p className="small">
          Paste before &lt;/body&gt; on your site (the widget key was printed with the workspace):
        </p>
        <pre>
          <code>{snippet}</code>
        </pre>
        {can.administer && <OriginsEditor />}
      </Card>
      <Card title="Scoring">
        <p>
          Threshold {rules.data?.threshold} · {rules.data?.rules.length ?? 0} rules · version{' '}
          {rules.data?.version}
        </p>
        {can.administer ? <RulesEditor /> : <p className="small muted">Only admins edit the rules.</p>}
      </Card>
      <Card title="Playbooks">
        <ul>
          {(
            playbooks.data as unknown as
              | { items: { id: string; name: string; builtIn: boolean }[] }
              | undefined
          )?.items?.map((p) => (
            <li key={p.id}>
              {p.name} <span className="muted small">{p.builtIn ? 'built in' : p.id}</span>
            </li>
          ))}
        </ul>
        {can.administer && <PlaybookEditor />}
      </Card>
      <Card title="People">
        <ul>
          {users.data?.items.map((u) => (
            <li key={u.id}>
              {u.email} · {u.role}
            </li>
          ))}
        </ul>
        {can.administer && (
          <form onSubmit={onInvite} className="inline">
            <label>
              E-mail
              <input name="email" type="email" required />
            </label>
            <SelectField
              label="Role"
              name="role"
              defaultValue="member"
              choices={ROLES.map((role) => ({ value: role, label: role }))}
            />
            <button type="submit">Invite</button>
          </form>
        )}
        {invite.data && <Secret label="Invitation link" value={`${origin}${invite.data.link}`} />}
      </Card>
    </section>
  );
}
