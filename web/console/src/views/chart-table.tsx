import type { ReactElement, ReactNode } from 'react';
import { ResponsiveContainer } from 'recharts';
import { DataTable, type DataTableProps } from '../components/data-table.tsx';

/** A share as a whole percentage; `—` where there is none (nothing to divide by). */
export const pct = (v: number | null) => (v === null ? '—' : `${Math.round(v * 100)}%`);

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
