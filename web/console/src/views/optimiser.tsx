import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '../api.ts';
import { LoadError, ProblemAlert } from '../components/alerts.tsx';
import { Card } from '../components/card.tsx';
import { DataTable } from '../components/data-table.tsx';
import { InlineForm } from '../components/fields.tsx';
import { useCan } from '../session.tsx';

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');
const num = (v: number | null) => (v === null ? '—' : Math.abs(v) < 1 ? v.toFixed(3) : v.toFixed(1));

type Adjustment = Awaited<ReturnType<typeof listAdjustments>>['items'][number];
const listAdjustments = () =>
  unwrap(api.GET('/v1/optimiser/adjustments', { params: { query: { limit: 20 } } }));
type Alert = Awaited<ReturnType<typeof listAlerts>>['items'][number];
const listAlerts = (status: 'open' | 'acknowledged' | 'resolved') =>
  unwrap(api.GET('/v1/alerts', { params: { query: { status, limit: 50 } } }));

/** One alert: what fired, the evidence a person checks before acting, and the acknowledge button. */
function AlertCard(props: { alert: Alert }) {
  const { alert } = props;
  const can = useCan();
  const client = useQueryClient();
  const [note, setNote] = useState('');
  const ack = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/v1/alerts/{id}/ack', {
          params: { path: { id: alert.id } },
          body: note.trim() ? { note: note.trim() } : {},
        }),
      ),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['alerts'] }),
  });
  const e = alert.evidence;
  return (
    <article className="card alert" aria-labelledby={`alert-${alert.id}`}>
      <h3 id={`alert-${alert.id}`}>
        <span className={`badge ${alert.status === 'open' ? 'danger' : ''}`}>{alert.status}</span>{' '}
        {alert.summary}
      </h3>
      <p className="small muted">
        {alert.kind} · opened {when(alert.openedAt)}
        {alert.acknowledgedAt &&
          ` · acknowledged ${when(alert.acknowledgedAt)} by ${alert.acknowledgedByName ?? alert.acknowledgedBy}`}
      </p>
      {e && (
        <table className="grid small">
          <caption>Evidence ({e.detector})</caption>
          <tbody>
            <tr>
              <th scope="row">Metric</th>
              <td>
                {e.metric} in {e.segment}
              </td>
            </tr>
            <tr>
              <th scope="row">Window</th>
              <td>
                {when(e.window.from)} – {when(e.window.to)}
              </td>
            </tr>
            <tr>
              <th scope="row">Baseline</th>
              <td>
                {num(e.baseline.value)} over {e.baseline.count} ({when(e.baseline.from)} –{' '}
                {when(e.baseline.to)})
              </td>
            </tr>
            <tr>
              <th scope="row">Observed</th>
              <td>
                {num(e.observed.value)} over {e.observed.count}
              </td>
            </tr>
            <tr>
              <th scope="row">Statistic</th>
              <td>
                {num(e.statistic)} (fires at {num(e.threshold)})
              </td>
            </tr>
          </tbody>
        </table>
      )}
      {alert.review && (
        <p className="small">
          Council review ({alert.review.status}): {alert.review.note}
        </p>
      )}
      {can.operate && alert.status === 'open' && (
        <InlineForm
          label="Note (optional)"
          field={{ value: note, onChange: (ev) => setNote(ev.target.value), maxLength: 500 }}
          submit="Acknowledge"
          busy={ack.isPending}
          onSubmit={() => ack.mutate()}
        />
      )}
      <ProblemAlert error={ack.error} />
    </article>
  );
}

/**
 * Changes the optimiser made or proposed; one in force can be rolled back with a reason (members+),
 * one proposed (held for a person by the policy) approved or rejected (admins).
 */
function Adjustments() {
  const can = useCan();
  const client = useQueryClient();
  const [reason, setReason] = useState('');
  const list = useQuery({
    queryKey: ['alerts', 'adjustments'],
    queryFn: listAdjustments,
  });
  const rollback = useMutation({
    mutationFn: (id: string) =>
      unwrap(
        api.POST('/v1/optimiser/adjustments/{id}/rollback', { params: { path: { id } }, body: { reason } }),
      ),
    onSuccess: () => {
      setReason('');
      void client.invalidateQueries({ queryKey: ['alerts'] });
    },
  });
  const decide = useMutation({
    mutationFn: ({ id, verdict }: { id: string; verdict: 'approve' | 'reject' }) => {
      const request = { params: { path: { id } }, body: reason.trim() ? { note: reason.trim() } : {} };
      return unwrap(
        verdict === 'approve'
          ? api.POST('/v1/optimiser/adjustments/{id}/approve', request)
          : api.POST('/v1/optimiser/adjustments/{id}/reject', request),
      );
    },
    onSuccess: () => {
      setReason('');
      void client.invalidateQueries({ queryKey: ['alerts'] });
    },
  });
  const failure = rollback.error ?? decide.error;
  if (list.isError) return <LoadError what="changes" error={list.error} />;
  if (!list.data) return <p className="loading">Loading…</p>;
  if (list.data.items.length === 0) return <p className="muted">No changes yet.</p>;
  const actions = (a: Adjustment) => (
    <>
      {a.status === 'applied' && (
        <button
          type="button"
          disabled={reason.trim().length === 0 || rollback.isPending}
          onClick={() => rollback.mutate(a.id)}
        >
          Roll back
        </button>
      )}
      {a.status === 'proposed' && can.administer && (
        <span className="actions">
          <button
            type="button"
            disabled={decide.isPending}
            onClick={() => decide.mutate({ id: a.id, verdict: 'approve' })}
          >
            Approve
          </button>{' '}
          <button
            type="button"
            disabled={decide.isPending}
            onClick={() => decide.mutate({ id: a.id, verdict: 'reject' })}
          >
            Reject
          </button>
        </span>
      )}
    </>
  );
  return (
    <>
      {can.operate && (
        <label className="small">
          {can.administer ? 'Reason or note for a rollback, approval or rejection' : 'Reason for a rollback'}{' '}
          (kept in the audit trail)
          <input value={reason} onChange={(e) => setReason(e.target.value)} maxLength={500} />
        </label>
      )}
      <DataTable
        scroll
        rows={list.data.items}
        rowKey={(a) => a.id}
        columns={[
          { header: 'When', cell: (a) => when(a.createdAt) },
          {
            header: 'Change',
            cell: (a) => (
              <>
                {a.kind} on {a.target} ({a.origin})
              </>
            ),
          },
          {
            header: 'Status',
            cell: (a) => (
              <>
                {a.status}
                {a.settlement && <span className="muted"> · {a.settlement}</span>}
              </>
            ),
          },
          { header: 'Why', cell: (a) => a.reason },
          ...(can.operate ? [{ header: 'Action', cell: (a: Adjustment) => actions(a) }] : []),
        ]}
      />
      <ProblemAlert error={failure} />
    </>
  );
}

export function Optimiser() {
  const open = useQuery({ queryKey: ['alerts', 'open'], queryFn: () => listAlerts('open') });
  const acknowledged = useQuery({
    queryKey: ['alerts', 'acknowledged'],
    queryFn: () => listAlerts('acknowledged'),
  });
  const failed = open.error ?? acknowledged.error;
  const items = [...(open.data?.items ?? []), ...(acknowledged.data?.items ?? [])];
  return (
    <section aria-labelledby="optimiser-title">
      <h1 id="optimiser-title">Optimiser</h1>
      <h2>Alerts</h2>
      <p className="small muted">
        Open and acknowledged alerts, updated live. A detector resolves an alert itself when the stream
        recovers.
      </p>
      <LoadError what="alerts" error={failed} />
      {open.isSuccess && acknowledged.isSuccess && items.length === 0 && (
        <p className="muted">No open alerts.</p>
      )}
      {items.map((alert) => (
        <AlertCard key={alert.id} alert={alert} />
      ))}
      <Card title="Changes">
        <Adjustments />
      </Card>
    </section>
  );
}
