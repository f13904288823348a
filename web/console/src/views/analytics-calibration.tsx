import { useQuery } from '@tanstack/react-query';
import {
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  ResponsiveContainer,
  Scatter,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { api, unwrap } from '../api.ts';

const pct = (v: number | null) => (v === null ? '—' : `${Math.round(v * 100)}%`);

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
    <>
      <div
        className="chart"
        role="img"
        aria-label={`Calibration of model v${c.version} on ${c.outcomes} outcomes: ${points
          .map((p) => `predicted ${pct(p.predicted)}, observed ${pct(p.observed)} (${p.count})`)
          .join('; ')}`}
      >
        <ResponsiveContainer width="100%" height={260}>
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
        </ResponsiveContainer>
      </div>
      <p className="small muted">
        {c.outcomes} outcomes ({c.conversions} converted)
        {c.from &&
          c.to &&
          `, ${new Date(c.from).toLocaleDateString()} – ${new Date(c.to).toLocaleDateString()}`}
        ; expected calibration error {c.ece === null ? '—' : c.ece.toFixed(3)}.
      </p>
      <details>
        <summary>Counts per bin</summary>
        <table className="grid small">
          <thead>
            <tr>
              <th scope="col">Predicted</th>
              <th scope="col" className="num">
                Outcomes
              </th>
              <th scope="col" className="num">
                Converted
              </th>
              <th scope="col" className="num">
                Mean predicted
              </th>
              <th scope="col" className="num">
                Observed
              </th>
            </tr>
          </thead>
          <tbody>
            {c.bins.map((b) => (
              <tr key={b.lower}>
                <td>
                  {pct(b.lower)}–{pct(b.upper)}
                </td>
                <td className="num">{b.count}</td>
                <td className="num">{b.conversions}</td>
                <td className="num">{pct(b.meanPredicted)}</td>
                <td className="num">{pct(b.observedRate)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </>
  );
}
