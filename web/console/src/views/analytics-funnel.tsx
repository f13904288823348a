import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  LabelList,
  Legend,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { api, unwrap } from '../api.ts';

const WINDOWS = ['7d', '30d', '90d', '365d'] as const;
type FunnelWindow = (typeof WINDOWS)[number];
const STAGE_LABEL = {
  arrived: 'Arrived',
  engaged: 'Engaged',
  qualified: 'Qualified',
  converted: 'Converted',
};
const pct = (v: number | null) => (v === null ? '—' : `${Math.round(v * 100)}%`);

function WindowPicker(props: { id: string; value: FunnelWindow; onChange: (w: FunnelWindow) => void }) {
  return (
    <label className="inline-label">
      Leads that arrived in the last
      <select
        id={props.id}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value as FunnelWindow)}
      >
        {WINDOWS.map((w) => (
          <option key={w} value={w}>
            {w.replace('d', ' days')}
          </option>
        ))}
      </select>
    </label>
  );
}

/** The workspace's funnel: arrived → engaged → qualified → converted, with each step's share. */
export function Funnel() {
  const [window, setWindow] = useState<FunnelWindow>('30d');
  const funnel = useQuery({
    queryKey: ['funnel', window],
    queryFn: () => unwrap(api.GET('/v1/analytics/funnel', { params: { query: { window } } })),
  });
  const data = (funnel.data?.stages ?? []).map((s) => ({
    stage: STAGE_LABEL[s.stage],
    count: s.count,
    share: s.fromPrevious === null ? '' : pct(s.fromPrevious),
  }));
  return (
    <>
      <WindowPicker id="funnel-window" value={window} onChange={setWindow} />
      {funnel.isError && <p role="alert">Could not load the funnel: {funnel.error.message}</p>}
      {funnel.data && (
        <>
          <div
            className="chart"
            role="img"
            aria-label={`Funnel over ${window}: ${data.map((d) => `${d.stage} ${d.count}`).join(', ')}`}
          >
            <ResponsiveContainer width="100%" height={220}>
              <BarChart data={data} layout="vertical" margin={{ left: 16, right: 48 }}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis type="number" allowDecimals={false} />
                <YAxis type="category" dataKey="stage" width={80} />
                <Tooltip />
                <Bar isAnimationActive={false} dataKey="count" name="Leads" fill="var(--chart-1)">
                  <LabelList dataKey="share" position="right" />
                </Bar>
              </BarChart>
            </ResponsiveContainer>
          </div>
          <table className="grid small">
            <caption>
              Each stage counts the leads that reached it or a later one; the share is of the stage before.
            </caption>
            <thead>
              <tr>
                <th scope="col">Stage</th>
                <th scope="col" className="num">
                  Leads
                </th>
                <th scope="col" className="num">
                  Of previous
                </th>
                <th scope="col" className="num">
                  Of arrived
                </th>
              </tr>
            </thead>
            <tbody>
              {funnel.data.stages.map((s) => (
                <tr key={s.stage}>
                  <td>{STAGE_LABEL[s.stage]}</td>
                  <td className="num">{s.count}</td>
                  <td className="num">{pct(s.fromPrevious)}</td>
                  <td className="num">{pct(s.fromArrived)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </>
  );
}

/** The organisation view: each business unit's funnel side by side. */
export function OrgFunnel() {
  const [window, setWindow] = useState<FunnelWindow>('30d');
  const funnel = useQuery({
    queryKey: ['org-funnel', window],
    queryFn: () => unwrap(api.GET('/v1/org/funnel', { params: { query: { window } } })),
  });
  const units = [
    ...(funnel.data?.workspaces ?? []),
    ...(funnel.data ? [{ ...funnel.data.total, name: 'All units' }] : []),
  ];
  const data = units.map((u) => ({
    name: u.name,
    ...Object.fromEntries(u.stages.map((s) => [s.stage, s.count])),
  }));
  return (
    <>
      <WindowPicker id="org-funnel-window" value={window} onChange={setWindow} />
      {funnel.isError && <p role="alert">Could not load the funnel: {funnel.error.message}</p>}
      {funnel.data && (
        <>
          <div className="chart" role="img" aria-label={`Funnel per business unit over ${window}`}>
            <ResponsiveContainer width="100%" height={240}>
              <BarChart data={data}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis dataKey="name" />
                <YAxis allowDecimals={false} />
                <Tooltip />
                <Legend />
                <Bar isAnimationActive={false} dataKey="arrived" name="Arrived" fill="var(--chart-1)" />
                <Bar isAnimationActive={false} dataKey="engaged" name="Engaged" fill="var(--chart-3)" />
                <Bar isAnimationActive={false} dataKey="qualified" name="Qualified" fill="var(--chart-2)" />
                <Bar isAnimationActive={false} dataKey="converted" name="Converted" fill="var(--chart-4)" />
              </BarChart>
            </ResponsiveContainer>
          </div>
          <div className="table-scroll">
            <table className="grid small">
              <caption>The same figures, with arrived → converted</caption>
              <thead>
                <tr>
                  <th scope="col">Unit</th>
                  {Object.values(STAGE_LABEL).map((label) => (
                    <th key={label} scope="col" className="num">
                      {label}
                    </th>
                  ))}
                  <th scope="col" className="num">
                    Converted of arrived
                  </th>
                </tr>
              </thead>
              <tbody>
                {units.map((u) => (
                  <tr key={u.name}>
                    <td>{u.name}</td>
                    {u.stages.map((s) => (
                      <td key={s.stage} className="num">
                        {s.count}
                      </td>
                    ))}
                    <td className="num">{pct(u.stages[3]?.fromArrived ?? null)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </>
  );
}
