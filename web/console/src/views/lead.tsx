import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { api, unwrap } from '../api.ts';
import { DecisionCard } from './decision-card.tsx';

function describe(value: unknown): string {
  if (value === null || value === undefined) return '—';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export function LeadPage() {
  const { id = '' } = useParams();
  const lead = useQuery({
    queryKey: ['lead', id],
    queryFn: () => unwrap(api.GET('/v1/leads/{id}', { params: { path: { id } } })),
  });
  const score = useQuery({
    queryKey: ['lead', id, 'score'],
    queryFn: () => unwrap(api.GET('/v1/leads/{id}/score', { params: { path: { id } } })),
  });
  const decisions = useQuery({
    queryKey: ['decisions', { leadId: id }],
    queryFn: () => unwrap(api.GET('/v1/council/decisions', { params: { query: { leadId: id, limit: 20 } } })),
  });
  if (lead.isPending) return <p className="loading">Loading…</p>;
  if (lead.isError) return <p role="alert">{lead.error.message}</p>;
  const l = lead.data;
  return (
    <section aria-labelledby="lead-title" className="lead">
      <p>
        <Link to="/">← Inbox</Link>
      </p>
      <h1 id="lead-title">{l.name ?? l.email ?? l.id}</h1>
      <p className="muted">
        {[l.title, l.company, l.email, l.phone, l.country].filter(Boolean).join(' · ')} · source{' '}
        {l.source ?? '—'} · <span className={`badge ${l.status}`}>{l.status}</span>
      </p>
      <div className="columns">
        <div>
          <h2>Timeline</h2>
          <ol className="timeline">
            {l.history.map((entry) => (
              <li key={`${entry.eventId}-${entry.at}`}>
                <time dateTime={entry.at}>{new Date(entry.at).toLocaleString()}</time>{' '}
                <strong>{entry.action}</strong>
                <ul className="small">
                  {Object.entries(entry.changes).map(([field, change]) => (
                    <li key={field}>
                      {field}: {describe(change.from)} → {describe(change.to)}
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ol>
          <h2>Conversations</h2>
          {l.conversations.length === 0 && <p className="muted">None.</p>}
          {l.conversations.map((c) => (
            <details key={c.sessionId}>
              <summary>
                {c.playbook} · {c.outcome ?? 'open'} · {c.transcript.length} messages ·{' '}
                <Link to={`/conversations/${c.sessionId}`}>open</Link>
              </summary>
              <ol className="transcript">
                {c.transcript.map((t) => (
                  <li key={`${t.at}-${t.text}`} className={t.role}>
                    <span className="muted small">{t.role}</span> {t.text}
                  </li>
                ))}
              </ol>
            </details>
          ))}
          <h2>Consents</h2>
          {l.consents.length === 0 ? (
            <p className="muted">No consent recorded.</p>
          ) : (
            <ul>
              {l.consents.map((c) => (
                <li key={c.id}>
                  {c.purposes.join(', ')} (text {c.textVersion}) on {new Date(c.givenAt).toLocaleDateString()}
                </li>
              ))}
            </ul>
          )}
        </div>
        <aside>
          <h2>Score {Math.round(l.score)}</h2>
          {score.data && (
            <>
              <p className="small">{score.data.reason}</p>
              <table className="grid small">
                <caption>Rule lines (threshold {score.data.rules.threshold})</caption>
                <tbody>
                  {score.data.rules.lines.map((line) => (
                    <tr key={line.ruleId}>
                      <td>{line.description}</td>
                      <td className="num">{line.points > 0 ? `+${line.points}` : line.points}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {score.data.model && (
                <>
                  <h3>Model v{score.data.model.modelVersion}</h3>
                  <p className="small">
                    {Math.round(score.data.model.probability * 100)}% likely to convert (segment{' '}
                    {score.data.model.segment}). Top factors:
                  </p>
                  <ul className="small">
                    {score.data.model.factors.slice(0, 5).map((f) => (
                      <li key={JSON.stringify(f)}>{describe((f as { text?: string }).text ?? f)}</li>
                    ))}
                  </ul>
                </>
              )}
            </>
          )}
          <h2>Council decisions</h2>
          {decisions.data?.items.length === 0 && <p className="muted">None yet.</p>}
          {decisions.data?.items.map((d) => (
            <DecisionCard key={d.id} decision={d} />
          ))}
        </aside>
      </div>
    </section>
  );
}
