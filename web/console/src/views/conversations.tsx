import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, problemDetail, unwrap } from '../api.ts';
import { useCan, useSession } from '../session.tsx';

interface SessionView {
  state: 'active' | 'taken_over' | 'ended';
  leadId: string | null;
  messages: { id: string; role: string; text: string; at: string }[];
}

const STATE_LABEL = { active: 'Bot', taken_over: 'Human', ended: 'Ended' } as const;

function Transcript(props: { id: string }) {
  const { id } = props;
  const session = useSession();
  const can = useCan();
  const client = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const agent = { id: session.user.id, name: session.user.name };
  const detail = useQuery({
    queryKey: ['conversations', id],
    queryFn: async () =>
      (await unwrap(
        api.GET('/v1/chat/sessions/{id}', { params: { path: { id } } }),
      )) as unknown as SessionView,
    refetchInterval: 2000,
  });
  const after = () => {
    setError(null);
    void client.invalidateQueries({ queryKey: ['conversations'] });
  };
  const onError = (e: unknown) => setError(problemDetail(e));
  const takeOver = useMutation({
    mutationFn: () =>
      unwrap(api.POST('/v1/chat/sessions/{id}/takeover', { params: { path: { id } }, body: { agent } })),
    onSuccess: after,
    onError,
  });
  const release = useMutation({
    mutationFn: () => unwrap(api.POST('/v1/chat/sessions/{id}/release', { params: { path: { id } } })),
    onSuccess: after,
    onError,
  });
  const send = useMutation({
    mutationFn: (text: string) =>
      unwrap(
        api.POST('/v1/chat/sessions/{id}/agent-messages', {
          params: { path: { id } },
          body: { agent, text },
        }),
      ),
    onSuccess: after,
    onError,
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const text = String(new FormData(form).get('text') ?? '').trim();
    if (!text) return;
    send.mutate(text, { onSuccess: () => form.reset() });
  };
  if (!detail.data) return <p className="loading">Loading…</p>;
  const view = detail.data;
  return (
    <div className="transcript-panel">
      <h2>
        Conversation <span className={`badge ${view.state}`}>{STATE_LABEL[view.state]}</span>
        {view.leadId && <Link to={`/leads/${view.leadId}`}> lead</Link>}
      </h2>
      <ol className="transcript" aria-live="polite">
        {view.messages.map((m) => (
          <li key={m.id} className={m.role}>
            <span className="muted small">{m.role}</span> {m.text}
          </li>
        ))}
      </ol>
      {can.operate && view.state === 'active' && (
        <button type="button" onClick={() => takeOver.mutate()} disabled={takeOver.isPending}>
          Take over
        </button>
      )}
      {can.operate && view.state === 'taken_over' && (
        <>
          <form onSubmit={submit} className="reply">
            <label>
              Reply to the visitor
              <input name="text" autoComplete="off" required />
            </label>
            <button type="submit" disabled={send.isPending}>
              Send
            </button>
          </form>
          <button type="button" onClick={() => release.mutate()} disabled={release.isPending}>
            Hand back to the bot
          </button>
        </>
      )}
      {error && <p role="alert">{error}</p>}
    </div>
  );
}

export function Conversations() {
  const { id } = useParams();
  const list = useQuery({
    queryKey: ['conversations', 'list'],
    queryFn: () => unwrap(api.GET('/v1/chat/sessions', { params: { query: { limit: 50 } } })),
    refetchInterval: 3000,
  });
  return (
    <section aria-labelledby="conversations-title">
      <h1 id="conversations-title">Conversations</h1>
      <div className="columns">
        <ul className="list" aria-label="Conversations">
          {list.data?.items.length === 0 && <li className="muted">No conversations yet.</li>}
          {list.data?.items.map((c) => (
            <li key={c.id} className={c.id === id ? 'selected' : undefined}>
              <Link to={`/conversations/${c.id}`} aria-current={c.id === id ? 'page' : undefined}>
                <span className={`badge ${c.state}`}>
                  {c.waiting ? 'Waiting for a person' : STATE_LABEL[c.state]}
                </span>{' '}
                {c.lastMessage?.text ?? '…'}
              </Link>
              <div className="muted small">
                {c.messageCount} messages · {new Date(c.updatedAt).toLocaleTimeString()}
                {c.agent && ` · with ${c.agent.name ?? c.agent.id}`}
              </div>
            </li>
          ))}
        </ul>
        {id ? <Transcript id={id} /> : <p className="muted">Choose a conversation.</p>}
      </div>
    </section>
  );
}
