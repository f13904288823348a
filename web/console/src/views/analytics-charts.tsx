import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Area, CartesianGrid, ComposedChart, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from 'recharts';
import { api, unwrap } from '../api.ts';
import { ProblemAlert } from '../components/alerts.tsx';
import { InlineForm } from '../components/fields.tsx';
import { useCan } from '../session.tsx';
import { ChartTable, pct } from './chart-table.tsx';

/** Arrivals and the share qualified per day, from the streaming rollups (last 14 days). */
export function QualificationOverTime() {
  const from = new Date(Date.now() - 14 * 86_400_000).toISOString();
  const series = (metric: 'arrivals' | 'qualification_rate') =>
    unwrap(api.GET('/v1/analytics/metrics', { params: { query: { metric, window: '1d', from } } }));
  const arrivals = useQuery({ queryKey: ['metric', 'arrivals'], queryFn: () => series('arrivals') });
  const rate = useQuery({ queryKey: ['metric', 'rate'], queryFn: () => series('qualification_rate') });
  if (!arrivals.data || !rate.data) return <p className="loading">Loading…</p>;
  const rates = new Map(rate.data.points.map((p) => [p.start, p.value]));
  const data = arrivals.data.points.map((p) => ({
    day: p.start.slice(5, 10),
    arrivals: p.value ?? 0,
    rate: rates.get(p.start) ?? null,
  }));
  return (
    <ChartTable
      label="Leads arrived and share qualified per day, last 14 days"
      height={220}
      chart={
        <LineChart data={data}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="day" />
          <YAxis yAxisId="n" allowDecimals={false} />
          <YAxis yAxisId="r" orientation="right" domain={[0, 1]} tickFormatter={(v) => pct(v)} />
          <Tooltip />
          <Legend />
          <Line
            isAnimationActive={false}
            yAxisId="n"
            dataKey="arrivals"
            name="Arrived"
            stroke="var(--chart-1)"
            dot={false}
          />
          <Line
            isAnimationActive={false}
            yAxisId="r"
            dataKey="rate"
            name="Qualified share"
            stroke="var(--chart-2)"
            connectNulls
          />
        </LineChart>
      }
      table={{
        summary: 'The same figures as a table',
        rows: data,
        rowKey: (d) => d.day,
        columns: [
          { header: 'Day', cell: (d) => d.day },
          { header: 'Arrived', numeric: true, cell: (d) => d.arrivals },
          { header: 'Qualified share', numeric: true, cell: (d) => pct(d.rate) },
        ],
      }}
    />
  );
}

const HORIZONS = [25, 50, 100, 250, 500];

/** Expected conversions among the next N qualified leads, with scoring's interval, for several N. */
export function ForecastChart() {
  const forecast = useQuery({
    queryKey: ['forecast'],
    queryFn: () =>
      Promise.all(
        HORIZONS.map((leads) =>
          unwrap(api.GET('/v1/forecast', { params: { query: { leads, level: 0.9 } } })),
        ),
      ),
    retry: false,
  });
  if (forecast.isError) return <p className="muted">No forecast yet: {forecast.error.message}</p>;
  if (!forecast.data) return <p className="loading">Loading…</p>;
  const data = forecast.data.map((f) => ({
    leads: f.leads,
    expected: Number(f.expected.toFixed(1)),
    band: [Number(f.lower.toFixed(1)), Number(f.upper.toFixed(1))],
  }));
  const basis = forecast.data[0]?.basis === 'model' ? 'the champion model' : 'the observed conversion rate';
  return (
    <ChartTable
      label={`Expected conversions among the next 25 to 500 qualified leads with a 90% interval, from ${basis}`}
      height={220}
      chart={
        <ComposedChart data={data}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="leads" name="Next qualified leads" />
          <YAxis allowDecimals={false} />
          <Tooltip />
          <Legend />
          <Area
            isAnimationActive={false}
            dataKey="band"
            name="90% interval"
            fill="var(--chart-1)"
            fillOpacity={0.15}
            stroke="none"
          />
          <Line
            isAnimationActive={false}
            dataKey="expected"
            name="Expected conversions"
            stroke="var(--chart-1)"
          />
        </ComposedChart>
      }
      note={
        <p className="small muted">
          From {basis} ({forecast.data[0]?.method}); 90% interval.
        </p>
      }
      table={{
        summary: 'The same figures as a table',
        rows: data,
        rowKey: (d) => d.leads,
        columns: [
          { header: 'Next qualified leads', numeric: true, cell: (d) => d.leads },
          { header: 'Expected conversions', numeric: true, cell: (d) => d.expected },
          { header: '90% interval', numeric: true, cell: (d) => `${d.band[0]}–${d.band[1]}` },
        ],
      }}
    />
  );
}

/** Retires the champion and restores the version it replaced: admin only, with a reason, confirmed. */
export function Rollback(props: { champion: number | null }) {
  const can = useCan();
  const client = useQueryClient();
  const [reason, setReason] = useState('');
  const [confirming, setConfirming] = useState(false);
  const rollback = useMutation({
    mutationFn: () => unwrap(api.POST('/v1/models/rollback', { body: { reason } })),
    onSuccess: () => {
      setConfirming(false);
      setReason('');
      void client.invalidateQueries({ queryKey: ['models'] });
    },
  });
  if (!can.administer || props.champion === null) return null;
  return (
    <div className="rollback">
      {!confirming ? (
        <button type="button" className="danger" onClick={() => setConfirming(true)}>
          Roll back model v{props.champion}…
        </button>
      ) : (
        <InlineForm
          label="Reason (kept in the audit trail)"
          field={{ value: reason, onChange: (e) => setReason(e.target.value), required: true, minLength: 3 }}
          submit={<>Confirm: retire v{props.champion}</>}
          submitClassName="danger"
          busy={rollback.isPending}
          onSubmit={() => rollback.mutate()}
        >
          <button type="button" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </InlineForm>
      )}
      <ProblemAlert error={rollback.error} />
      {rollback.data && (
        <p role="status">
          Retired v{rollback.data.retired.version}; now scoring with{' '}
          {rollback.data.champion ? `v${rollback.data.champion.version}` : 'the point rules'}.
        </p>
      )}
    </div>
  );
}
