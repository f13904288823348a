import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, api, unwrap } from '../api.ts';
import { useCan } from '../session.tsx';
import { RequestActions } from './privacy-actions.tsx';

const day = (iso: string | null) => (iso ? new Date(iso).toLocaleDateString() : '—');

/** Days until a deadline (negative: overdue), so the queue reads by urgency. */
function daysLeft(iso: string, now: number): number {
  return Math.ceil((Date.parse(iso) - now) / 86_400_000);
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
    <div className="card">
      <h2>Suppression list</h2>
      <form
        className="inline"
        onSubmit={(e) => {
          e.preventDefault();
          lookup.mutate(email);
        }}
      >
        <label>
          Is this e-mail suppressed?
          <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
        </label>
        <button type="submit" disabled={lookup.isPending}>
          Check
        </button>
      </form>
      {lookup.isError && (
        <p role="alert">
          {lookup.error instanceof ApiError ? lookup.error.problem.detail : String(lookup.error)}
        </p>
      )}
      {lookup.data && (
        <p role="status" className="lookup-result">
          {lookup.data.entry
            ? `Suppressed since ${day(lookup.data.entry.createdAt)} (${lookup.data.entry.reason}, entry ${lookup.data.entry.hashPrefix}…).`
            : 'Not suppressed.'}
        </p>
      )}
      {list.isError && <p role="alert">Could not load the list: {list.error.message}</p>}
      {list.data && (
        <>
          <p className="small muted">
            {list.data.total} {list.data.total === 1 ? 'entry' : 'entries'}, newest first. Each is an HMAC of
            a normalised e-mail or phone; the contact itself is not kept.
          </p>
          {list.data.items.length > 0 && (
            <div className="table-scroll">
              <table className="grid small">
                <thead>
                  <tr>
                    <th scope="col">Entry</th>
                    <th scope="col">Kind</th>
                    <th scope="col">Reason</th>
                    <th scope="col">Since</th>
                  </tr>
                </thead>
                <tbody>
                  {list.data.items.map((entry) => (
                    <tr key={`${entry.hashPrefix}-${entry.createdAt}`}>
                      <td>
                        <code>{entry.hashPrefix}…</code>
                      </td>
                      <td>{entry.kind}</td>
                      <td>{entry.reason}</td>
                      <td>{day(entry.createdAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
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
    </div>
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
      <div className="card">
        <h2>Requests</h2>
        <p className="small muted">
          Open requests first, by legal deadline. File one with POST /v1/privacy/requests or `leadloop
          privacy`; one filed on hold waits here until you run or reject it.
        </p>
        {requests.isError && <p role="alert">Could not load requests: {requests.error.message}</p>}
        {items.length === 0 && requests.isSuccess && <p className="muted">No requests.</p>}
        {items.length > 0 && (
          <div className="table-scroll">
            <table className="grid small stack">
              <thead>
                <tr>
                  <th scope="col">Type</th>
                  <th scope="col">Status</th>
                  <th scope="col">Received</th>
                  <th scope="col">Due</th>
                  <th scope="col">Leads</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {items.map((r) => {
                  const left = daysLeft(r.dueAt, now);
                  return (
                    <tr key={r.id}>
                      <td>
                        {r.type} <span className="muted">({r.jurisdiction})</span>
                      </td>
                      <td data-label="Status">
                        {r.status}
                        {r.held && r.status === 'received' && (
                          <>
                            {' '}
                            <span className="badge">held</span>
                          </>
                        )}
                      </td>
                      <td data-label="Received">{day(r.receivedAt)}</td>
                      <td data-label="Due">
                        {day(r.dueAt)}{' '}
                        {!r.completedAt && (
                          <span className={left < 0 ? 'badge danger' : 'muted'}>
                            {left < 0 ? `${-left} days overdue` : `${left} days left`}
                          </span>
                        )}
                      </td>
                      <td data-label="Leads">{r.leadIds.length}</td>
                      <td>
                        <RequestActions request={r} />
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </div>
      <Suppressions />
      <div className="card">
        <h2>Retention</h2>
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
      </div>
    </section>
  );
}
