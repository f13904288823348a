import { useInfiniteQuery } from '@tanstack/react-query';
import { type KeyboardEvent, useEffect, useRef, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api, unwrap } from '../api.ts';
import { type Choice, SelectField } from '../components/fields.tsx';

interface Band {
  minScore?: number;
  maxScore?: number;
  label: string;
}

const BANDS: Record<string, Band> = {
  '': { label: 'Any score' },
  hot: { minScore: 70, label: 'Hot (70+)' },
  warm: { minScore: 40, maxScore: 69.999, label: 'Warm (40–69)' },
  cold: { maxScore: 39.999, label: 'Cold (under 40)' },
};

const STATUSES: Choice[] = [
  { value: '', label: 'Any status' },
  { value: 'new', label: 'New' },
  { value: 'qualified', label: 'Qualified' },
];

/** The privacy ledger's current state of a purpose (derived from its latest entry). */
const CONSENTS: Record<string, string> = {
  '': 'Any consent',
  'email_marketing:allowed': 'E-mail marketing: yes',
  'email_marketing:denied': 'E-mail marketing: no',
  'phone:allowed': 'Phone: yes',
  'profiling:denied': 'Objected to profiling',
  'processing:denied': 'Restricted (Art. 18)',
};

/** The inbox's filters live in the URL, so a filtered view can be shared and reloaded. */
function useFilters() {
  const [params, setParams] = useSearchParams();
  const status = params.get('status');
  const filters = {
    q: params.get('q') ?? '',
    status: (status === 'new' || status === 'qualified' ? status : '') as 'new' | 'qualified' | '',
    band: params.get('band') && BANDS[params.get('band') as string] ? (params.get('band') as string) : '',
    source: params.get('source') ?? '',
    owner: params.get('owner') ?? '',
    segment: params.get('segment') ?? '',
    consent: CONSENTS[params.get('consent') ?? ''] ? (params.get('consent') as string) : '',
  };
  const set = (name: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
  };
  return { filters, set };
}

export function Inbox() {
  const { filters, set } = useFilters();
  const navigate = useNavigate();
  const [selected, setSelected] = useState(0);
  const tableRef = useRef<HTMLTableElement>(null);
  const band: Partial<Band> = BANDS[filters.band] ?? {};
  const leads = useInfiniteQuery({
    queryKey: ['leads', filters],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/v1/leads', {
          params: {
            query: {
              limit: 50,
              ...(pageParam ? { cursor: pageParam } : {}),
              ...(filters.q ? { q: filters.q } : {}),
              ...(filters.status ? { status: filters.status } : {}),
              ...(filters.source ? { source: filters.source } : {}),
              ...(filters.owner ? { owner: filters.owner } : {}),
              ...(filters.segment ? { segment: filters.segment } : {}),
              ...(filters.consent ? { consent: filters.consent } : {}),
              ...(band.minScore !== undefined ? { minScore: band.minScore } : {}),
              ...(band.maxScore !== undefined ? { maxScore: band.maxScore } : {}),
            },
          },
        }),
      ),
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });
  const rows = leads.data?.pages.flatMap((page) => page.items) ?? [];
  useEffect(() => {
    document.title = `Inbox (${rows.length}${leads.hasNextPage ? '+' : ''}) · Leadloop`;
  }, [rows.length, leads.hasNextPage]);

  // j/k (or arrows) move the selection by data index, Enter opens: live only while the list has focus.
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'j' || event.key === 'ArrowDown') setSelected((i) => Math.min(rows.length - 1, i + 1));
    else if (event.key === 'k' || event.key === 'ArrowUp') setSelected((i) => Math.max(0, i - 1));
    else if (event.key === 'Enter' && rows[selected]) navigate(`/leads/${rows[selected].id}`);
    else return;
    event.preventDefault();
  };
  useEffect(() => {
    tableRef.current?.querySelector(`[data-index="${selected}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [selected]);

  return (
    <section aria-labelledby="inbox-title">
      <h1 id="inbox-title">Inbox</h1>
      <search className="filters">
        <label>
          Search
          <input
            type="search"
            defaultValue={filters.q}
            placeholder="E-mail, name or company"
            onChange={(e) => set('q', e.target.value)}
          />
        </label>
        <SelectField
          label="Status"
          value={filters.status}
          onChange={(e) => set('status', e.target.value)}
          choices={STATUSES}
        />
        <SelectField
          label="Score"
          value={filters.band}
          onChange={(e) => set('band', e.target.value)}
          choices={Object.entries(BANDS).map(([value, b]) => ({ value, label: b.label }))}
        />
        {(['source', 'segment', 'owner'] as const).map((name) => (
          <label key={name}>
            {name[0]?.toUpperCase()}
            {name.slice(1)}
            <input
              defaultValue={filters[name]}
              placeholder="any"
              onChange={(e) => set(name, e.target.value)}
            />
          </label>
        ))}
        <SelectField
          label="Consent"
          value={filters.consent}
          onChange={(e) => set('consent', e.target.value)}
          choices={Object.entries(CONSENTS).map(([value, label]) => ({ value, label }))}
        />
      </search>
      <p className="muted small" id="inbox-help">
        Newest first, updated live. Search matches words that begin with what you type; the segment is a value
        of the scoring settings' segment field. Keys: j / k or arrows to move, Enter to open.
      </p>
      {leads.isError && <p role="alert">Could not load leads: {String(leads.error.message)}</p>}
      <div className="table-scroll">
        <table
          ref={tableRef}
          className="grid inbox"
          // biome-ignore lint/a11y/noNoninteractiveElementToInteractiveRole: a data grid with keyboard selection (aria-activedescendant), per the ARIA grid pattern
          role="grid"
          tabIndex={0}
          aria-describedby="inbox-help"
          aria-activedescendant={rows[selected] ? `lead-row-${rows[selected].id}` : undefined}
          onKeyDown={onKeyDown}
        >
          <thead>
            <tr>
              <th scope="col">Lead</th>
              <th scope="col">Company</th>
              <th scope="col">Source</th>
              <th scope="col">Status</th>
              <th scope="col" className="num">
                Score
              </th>
              <th scope="col">Arrived</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((lead, index) => (
              <tr
                key={lead.id}
                id={`lead-row-${lead.id}`}
                data-index={index}
                aria-selected={index === selected}
                className={index === selected ? 'selected' : undefined}
              >
                <td>
                  <Link to={`/leads/${lead.id}`}>{lead.name ?? lead.email ?? lead.phone ?? lead.id}</Link>
                  <div className="muted small">{lead.email}</div>
                </td>
                <td>{lead.company ?? '—'}</td>
                <td>{lead.source ?? '—'}</td>
                <td>
                  <span className={`badge ${lead.status}`}>{lead.status}</span>
                </td>
                <td className="num">{Math.round(lead.score)}</td>
                <td>{new Date(lead.createdAt).toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {rows.length === 0 && !leads.isPending && <p className="muted">No leads match.</p>}
      {leads.hasNextPage && (
        <button type="button" onClick={() => leads.fetchNextPage()} disabled={leads.isFetchingNextPage}>
          {leads.isFetchingNextPage ? 'Loading…' : 'Load more'}
        </button>
      )}
    </section>
  );
}
