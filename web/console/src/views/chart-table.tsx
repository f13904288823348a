import type { ReactElement, ReactNode } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { DataTable, type DataTableProps } from '../components/data-table.tsx';

/** A share as a whole percentage; `—` where there is none (nothing to divide by). */
export const pct = (v: number | null) => (v === null ? '—' : `${Math.round(v * 100)}%`);

/** One series of a bar chart: the row field it draws, its legend name and its colour. */
interface BarSeries {
  dataKey: string;
  name: string;
  fill: string;
}

/**
 * Counts per named group (a business unit), one bar per series side by side. A function, not a
 * component: ResponsiveContainer sizes the chart element it is handed.
 */
export function barsPerName(data: { name: string }[], series: BarSeries[]): ReactElement {
  return (
    <BarChart data={data}>
      <CartesianGrid strokeDasharray="3 3" />
      <XAxis dataKey="name" />
      <YAxis allowDecimals={false} />
      <Tooltip />
      <Legend />
      {series.map((bar) => (
        <Bar key={bar.dataKey} isAnimationActive={false} {...bar} />
      ))}
    </BarChart>
  );
}

/**
 * A chart (recharts, sized to its card) described for assistive technology by `label`, then the
 * same figures as a table; `note` stands between them (the basis of a forecast, a summary line).
 */
export function ChartTable<Row>(props: {
  label: string;
  height: number;
  chart: ReactElement;
  note?: ReactNode;
  /** The rows the chart draws, as a table: screen readers and anyone who wants the exact figures read it. */
  table?: DataTableProps<Row>;
}) {
  return (
    <>
      <div className="chart" role="img" aria-label={props.label}>
        <ResponsiveContainer width="100%" height={props.height}>
          {props.chart}
        </ResponsiveContainer>
      </div>
      {props.note}
      {props.table && <DataTable {...props.table} />}
    </>
  );
}
