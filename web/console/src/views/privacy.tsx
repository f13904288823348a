import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '../api.ts';
import { LoadError, ProblemAlert } from '../components/alerts.tsx';
import { Card } from '../components/card.tsx';
import { DataTable } from '../components/data-table.tsx';
import { InlineForm } from '../components/fields.tsx';
import { useCan } from '../session.tsx';
import { RequestActions } from './privacy-actions.tsx';

const day = (iso: string | null) => (iso ? new Date(iso).toLocaleDateString() : '—');

/** Days until a deadline (negative: overdue), so the queue reads by urgency. */
function daysLeft(iso: string, now: number): number {
  return Math.ceil((Date.parse(iso) - now) / 86_400_000);
}

/** The day a request is due, and how many days are left (or how many it is overdue) while it is open. */
function Deadline(props: { request: { dueAt: string; completedAt: string | null }; now: number }) {
  const { request } = props;
  const left = daysLeft(request.dueAt, props.now);
  return (
    <>
      {day(request.dueAt)}{' '}
      {!request.completedAt && (
        <span className={left < 0 ? 'badge danger' : 'muted'}>
          {left < 0 ? `${-left} days overdue` : `${left} days left`}
        </span>
      )}
    </>
  );
}

/**
 * The suppression list: people erased or objecting, kept as peppered hashes so they are not
 * re-added. Only a prefix is shown; "is this person suppressed?" sends the address to be hashed
 * on the server (and audited), never stored.
 */
function Suppressions() {
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const [email, setEmail] = useState('');
  const list = useQuery({
    queryKey: ['suppressions', cursor],
    queryFn: () =>
      unwrap(
        api.GET('/v1/privacy/suppressions', {
          params: { query: { limit: 25, ...(cursor ? { cursor } : {}) } },
        }),
      ),
  });
  const lookup = useMutation({
    mutationFn: (address: string) =>
      unwrap(api.POST('/v1/privacy/suppressions/lookup', { body: { email: address } })),
  });
  return (
    <Card title="Suppression list">
      <InlineForm
        label="Is this e-mail suppressed?"
        field={{ type: 'email', value: email, onChange: (e) => setEmail(e.target.value), required: true }}
        submit="Check"
        busy={lookup.isPending}
        onSubmit={() => lookup.mutate(email)}
      />
      <ProblemAlert error={lookup.error} />
      {lookup.data && (
        <p role="status" className="lookup-result">
          {lookup.data.entry
            ? `Suppressed since ${day(lookup.data.entry.createdAt)} (${lookup.data.entry.reason}, entry ${lookup.data.entry.hashPrefix}…).`
            : 'Not suppressed.'}
        </p>
      )}
      <LoadError what="the list" error={list.error} />
      {list.data && (
        <>
          <p className="small muted">
            {list.data.total} {list.data.total === 1 ? 'entry' : 'entries'}, newest first. Each is an HMAC of
            a normalised e-mail or phone; the contact itself is not kept.
          </p>
          {list.data.items.length > 0 && (
            <DataTable
              scroll
              rows={list.data.items}
              rowKey={(entry) => `${entry.hashPrefix}-${entry.createdAt}`}
              columns={[
                { header: 'Entry', cell: (entry) => <code>{entry.hashPrefix}…</code> },
                { header: 'Kind', cell: (entry) => entry.kind },
                { header: 'Reason', cell: (entry) => entry.reason },
                { header: 'Since', cell: (entry) => day(entry.createdAt) },
              ]}
            />
          )}
          <div className="inline">
            {cursor && (
              <button type="button" onClick={() => setCursor(undefined)}>
                Newest
              </button>
            )}
            {list.data.nextCursor && (
              <button type="button" onClick={() => setCursor(list.data.nextCursor ?? undefined)}>
                Older
              </button>
            )}
          </div>
        </>
      )}
    </Card>
  );
}

export function Privacy() {
  const can = useCan();
  const requests = useQuery({
    queryKey: ['privacy-requests'],
    queryFn: () => unwrap(api.GET('/v1/privacy/requests', { params: { query: { limit: 100 } } })),
    enabled: can.administer,
  });
  const retention = useQuery({
    queryKey: ['privacy-retention'],
    queryFn: () => unwrap(api.GET('/v1/privacy/retention')),
    enabled: can.administer,
  });
  if (!can.administer)
    return (
      <section aria-labelledby="privacy-title">
        <h1 id="privacy-title">Privacy</h1>
        <p className="muted">Data-subject requests are visible to admins only.</p>
      </section>
    );
  const now = Date.now();
  const items = [...(requests.data?.items ?? [])].sort((a, b) => {
    const open = (r: typeof a) => (r.completedAt ? 1 : 0);
    return open(a) - open(b) || Date.parse(a.dueAt) - Date.parse(b.dueAt);
  });
  return (
    <section aria-labelledby="privacy-title">
      <h1 id="privacy-title">Privacy</h1>
      <Card title="Requests">
        <p className="small muted">
          Open requests first, by legal deadline. File one with POST /v1/privacy/requests or `leadloop
          privacy`; one filed on hold waits here until you run or reject it.
        </p>
        <LoadError what="requests" error={requests.error} />
        {items.length === 0 && requests.isSuccess && <p className="muted">No requests.</p>}
        {items.length > 0 && (
          <DataTable
            className="grid small stack"
            scroll
            rows={items}
            rowKey={(r) => r.id}
            columns={[
              {
                header: 'Type',
                cell: (r) => (
                  <>
                    {r.type} <span className="muted">({r.jurisdiction})</span>
                  </>
                ),
              },
              {
                header: 'Status',
                labelled: true,
                cell: (r) => (
                  <>
                    {r.status}
                    {r.held && r.status === 'received' && (
                      <>
                        {' '}
                        <span className="badge">held</span>
                      </>
                    )}
                  </>
                ),
              },
              { header: 'Received', labelled: true, cell: (r) => day(r.receivedAt) },
              { header: 'Due', labelled: true, cell: (r) => <Deadline request={r} now={now} /> },
              { header: 'Leads', labelled: true, cell: (r) => r.leadIds.length },
              { header: 'Actions', cell: (r) => <RequestActions request={r} /> },
            ]}
          />
        )}
      </Card>
      <Suppressions />
      <Card title="Retention">
        {retention.data ? (
          <>
            <p className="small">
              Policy version {retention.data.version}
              {retention.data.isDefault ? ' (the default)' : ''} · last run {day(retention.data.lastRunAt)}
            </p>
            <pre className="small">{JSON.stringify(retention.data.policy, null, 2)}</pre>
          </>
        ) : (
          <p className="loading">Loading…</p>
        )}
      </Card>
    </section>
  );
}
