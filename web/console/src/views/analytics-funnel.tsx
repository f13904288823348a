import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Bar, BarChart, CartesianGrid, LabelList, Tooltip, XAxis, YAxis } from 'recharts';
import { api, unwrap } from '../api.ts';
import { SelectField } from '../components/fields.tsx';
import { barsPerName, ChartTable, pct } from './chart-table.tsx';

const WINDOWS = ['7d', '30d', '90d', '365d'] as const;
type FunnelWindow = (typeof WINDOWS)[number];
const STAGE_LABEL = {
  arrived: 'Arrived',
  engaged: 'Engaged',
  qualified: 'Qualified',
  converted: 'Converted',
};
const STAGES = ['arrived', 'engaged', 'qualified', 'converted'] as const;
const STAGE_FILL = {
  arrived: 'var(--chart-1)',
  engaged: 'var(--chart-3)',
  qualified: 'var(--chart-2)',
  converted: 'var(--chart-4)',
};

function WindowPicker(props: { id: string; value: FunnelWindow; onChange: (w: FunnelWindow) => void }) {
  return (
    <SelectField
      label="Leads that arrived in the last"
      labelClassName="inline-label"
      id={props.id}
      value={props.value}
      onChange={(e) => props.onChange(e.target.value as FunnelWindow)}
      choices={WINDOWS.map((w) => ({ value: w, label: w.replace('d', ' days') }))}
    />
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
        <ChartTable
          label={`Funnel over ${window}: ${data.map((d) => `${d.stage} ${d.count}`).join(', ')}`}
          height={220}
          chart={
            <BarChart data={data} layout="vertical" margin={{ left: 16, right: 48 }}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis type="number" allowDecimals={false} />
              <YAxis type="category" dataKey="stage" width={80} />
              <Tooltip />
              <Bar isAnimationActive={false} dataKey="count" name="Leads" fill="var(--chart-1)">
                <LabelList dataKey="share" position="right" />
              </Bar>
            </BarChart>
          }
          table={{
            caption:
              'Each stage counts the leads that reached it or a later one; the share is of the stage before.',
            rows: funnel.data.stages,
            rowKey: (s) => s.stage,
            columns: [
              { header: 'Stage', cell: (s) => STAGE_LABEL[s.stage] },
              { header: 'Leads', numeric: true, cell: (s) => s.count },
              { header: 'Of previous', numeric: true, cell: (s) => pct(s.fromPrevious) },
              { header: 'Of arrived', numeric: true, cell: (s) => pct(s.fromArrived) },
            ],
          }}
        />
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
        <ChartTable
          label={`Funnel per business unit over ${window}`}
          height={240}
          chart={barsPerName(
            data,
            STAGES.map((stage) => ({ dataKey: stage, name: STAGE_LABEL[stage], fill: STAGE_FILL[stage] })),
          )}
          table={{
            caption: 'The same figures, with arrived → converted',
            scroll: true,
            rows: units,
            rowKey: (u) => u.name,
            columns: [
              { header: 'Unit', cell: (u) => u.name },
              ...STAGES.map((stage, i) => ({
                header: STAGE_LABEL[stage],
                numeric: true,
                cell: (u: (typeof units)[number]) => u.stages[i]?.count,
              })),
              {
                header: 'Converted of arrived',
                numeric: true,
                cell: (u) => pct(u.stages[3]?.fromArrived ?? null),
              },
            ],
          }}
        />
      )}
    </>
  );
}
