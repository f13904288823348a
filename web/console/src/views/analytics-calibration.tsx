import { useQuery } from '@tanstack/react-query';
import { CartesianGrid, ComposedChart, Legend, Line, Scatter, Tooltip, XAxis, YAxis } from 'recharts';
import { api, unwrap } from '../api.ts';
import { ChartTable, pct } from './chart-table.tsx';

/**
 * Predicted probability against the observed conversion rate, per bin, on the latest outcomes the
 * version scored before they were known; a well-calibrated model sits on the diagonal.
 */
export function CalibrationPlot(props: { version: number }) {
  const calibration = useQuery({
    queryKey: ['calibration', props.version],
    queryFn: () =>
      unwrap(
        api.GET('/v1/models/{version}/calibration', {
          params: { path: { version: props.version }, query: { bins: 10, limit: 2000 } },
        }),
      ),
  });
  if (calibration.isError)
    return <p role="alert">Could not load the calibration: {calibration.error.message}</p>;
  if (!calibration.data) return <p className="loading">Loading…</p>;
  const c = calibration.data;
  if (c.outcomes === 0)
    return (
      <p className="muted small">
        No outcomes yet for leads v{c.version} scored: the plot fills as outcomes arrive.
      </p>
    );
  const points = c.bins
    .filter((b) => b.count > 0)
    .map((b) => ({ predicted: b.meanPredicted, observed: b.observedRate, count: b.count }));
  return (
    <ChartTable
      label={`Calibration of model v${c.version} on ${c.outcomes} outcomes: ${points
        .map((p) => `predicted ${pct(p.predicted)}, observed ${pct(p.observed)} (${p.count})`)
        .join('; ')}`}
      height={260}
      chart={
        <ComposedChart margin={{ bottom: 16 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis
            type="number"
            dataKey="predicted"
            domain={[0, 1]}
            tickFormatter={(v) => pct(v)}
            label={{ value: 'Predicted probability', position: 'insideBottom', offset: -8 }}
          />
          <YAxis type="number" dataKey="observed" domain={[0, 1]} tickFormatter={(v) => pct(v)} />
          <Tooltip formatter={(v) => pct(Number(v))} />
          <Legend verticalAlign="top" />
          <Line
            isAnimationActive={false}
            data={[
              { predicted: 0, observed: 0 },
              { predicted: 1, observed: 1 },
            ]}
            dataKey="observed"
            name="Perfect calibration"
            stroke="var(--muted)"
            strokeDasharray="4 4"
            dot={false}
          />
          <Scatter
            isAnimationActive={false}
            data={points}
            name="Observed rate per bin"
            fill="var(--chart-1)"
            line
          />
        </ComposedChart>
      }
      note={
        <p className="small muted">
          {c.outcomes} outcomes ({c.conversions} converted)
          {c.from &&
            c.to &&
            `, ${new Date(c.from).toLocaleDateString()} – ${new Date(c.to).toLocaleDateString()}`}
          ; expected calibration error {c.ece === null ? '—' : c.ece.toFixed(3)}.
        </p>
      }
      table={{
        summary: 'Counts per bin',
        rows: c.bins,
        rowKey: (b) => b.lower,
        columns: [
          { header: 'Predicted', cell: (b) => `${pct(b.lower)}–${pct(b.upper)}` },
          { header: 'Outcomes', numeric: true, cell: (b) => b.count },
          { header: 'Converted', numeric: true, cell: (b) => b.conversions },
          { header: 'Mean predicted', numeric: true, cell: (b) => pct(b.meanPredicted) },
          { header: 'Observed', numeric: true, cell: (b) => pct(b.observedRate) },
        ],
      }}
    />
  );
}
