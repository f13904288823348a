import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '../api.ts';
import { ProblemAlert } from '../components/alerts.tsx';
import { Card } from '../components/card.tsx';
import { DataTable } from '../components/data-table.tsx';
import { useCan } from '../session.tsx';

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');
/** A creator without a name (`cli:ops`, `system:first-run`): the name, then what it was. */
const creator = (actor: string) => {
  const [type, id] = actor.split(':', 2);
  return id ? `${id} (${type})` : actor;
};

type Scope = 'admin' | 'ingest' | 'read' | 'advise';

/** A secret the server shows once (a key, a webhook secret, an invitation link). */
export function Secret(props: { label: string; value: string }) {
  return (
    <p role="status" className="secret">
      {props.label} (shown once, copy it now): <code>{props.value}</code>
    </p>
  );
}

/**
 * The workspace's API keys: a new key is shown once; the list shows what each key is for and when
 * it was last used, never the key. Revoking asks for confirmation in place (a second button), so
 * that a stray click cannot cut a live integration off. Admins only: the API refuses the rest.
 */
export function ApiKeys() {
  const can = useCan();
  const client = useQueryClient();
  const [confirming, setConfirming] = useState<string | null>(null);
  const keys = useQuery({
    queryKey: ['api-keys'],
    queryFn: () => unwrap(api.GET('/v1/api-keys')),
    enabled: can.administer,
  });
  const refresh = () => void client.invalidateQueries({ queryKey: ['api-keys'] });
  const create = useMutation({
    mutationFn: (scope: Scope) =>
      unwrap(api.POST('/v1/api-keys', { body: { scope, label: `${scope} key created in the console` } })),
    onSuccess: refresh,
  });
  const revoke = useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/v1/api-keys/{id}', { params: { path: { id } } })),
    onSuccess: () => {
      setConfirming(null);
      refresh();
    },
  });
  if (!can.administer)
    return (
      <Card title="API keys">
        <p className="muted small">Only admins see and manage keys.</p>
      </Card>
    );
  const failure = create.error ?? revoke.error ?? keys.error;
  return (
    <Card title="API keys">
      <p className="small muted">
        Keys are stored hashed: a new key is shown once. A revoked key is refused from its next request.
      </p>
      <div className="actions">
        {(['read', 'ingest', 'advise', 'admin'] as const).map((scope) => (
          <button key={scope} type="button" onClick={() => create.mutate(scope)} disabled={create.isPending}>
            Create {scope} key
          </button>
        ))}
      </div>
      {create.data && <Secret label={`New ${create.data.scope} key`} value={create.data.key} />}
      <ProblemAlert error={failure} />
      {keys.data && (
        <DataTable
          className="grid small stack"
          scroll
          caption="API keys of this workspace"
          captionClassName="visually-hidden"
          rows={keys.data.items}
          rowKey={(key) => key.id}
          columns={[
            {
              header: 'Key',
              cell: (key) => (
                <>
                  {key.label || <span className="muted">no label</span>}
                  <br />
                  <code className="muted">{key.id}</code>
                </>
              ),
            },
            { header: 'Scope', labelled: true, cell: (key) => key.scope },
            {
              header: 'Created',
              labelled: true,
              cell: (key) => (
                <>
                  {when(key.createdAt)}
                  {key.createdBy && (
                    <>
                      <br />
                      <span className="muted">by {key.createdByName ?? creator(key.createdBy)}</span>
                    </>
                  )}
                </>
              ),
            },
            { header: 'Last used', labelled: true, cell: (key) => when(key.lastUsedAt) },
            {
              header: 'Status',
              cell: (key) =>
                key.revokedAt ? (
                  <span className="badge">revoked {when(key.revokedAt)}</span>
                ) : confirming === key.id ? (
                  <span className="actions">
                    <button
                      type="button"
                      className="danger"
                      onClick={() => revoke.mutate(key.id)}
                      disabled={revoke.isPending}
                    >
                      Confirm revoking {key.label || key.id}
                    </button>
                    <button type="button" onClick={() => setConfirming(null)}>
                      Keep it
                    </button>
                  </span>
                ) : (
                  <button
                    type="button"
                    className="danger"
                    onClick={() => setConfirming(key.id)}
                    aria-label={`Revoke ${key.label || key.id}`}
                  >
                    Revoke
                  </button>
                ),
            },
          ]}
        />
      )}
    </Card>
  );
}
