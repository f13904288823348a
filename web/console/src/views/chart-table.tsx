import type { ReactElement, ReactNode } from 'react';
import { ResponsiveContainer } from 'recharts';

/** A share as a whole percentage; `—` where there is none (nothing to divide by). */
export const pct = (v: number | null) => (v === null ? '—' : `${Math.round(v * 100)}%`);

/** One column of a chart's table: its header, whether it holds figures, and each row's cell. */
interface Column<Row> {
  header: string;
  numeric?: boolean;
  cell: (row: Row) => ReactNode;
}

/** The rows a chart draws, as a table: screen readers and anyone who wants the exact figures read it. */
export interface ChartTableRows<Row> {
  columns: Column<Row>[];
  rows: Row[];
  rowKey: (row: Row) => string | number;
  caption?: ReactNode;
  /** Folds the table into a disclosure with this summary (for tables longer than the chart is tall). */
  summary?: string;
  /** Scrolls sideways on narrow screens (many columns). */
  scroll?: boolean;
}

function DataTable<Row>(props: ChartTableRows<Row>) {
  const table = (
    <table className="grid small">
      {props.caption && <caption>{props.caption}</caption>}
      <thead>
        <tr>
          {props.columns.map((c) => (
            <th key={c.header} scope="col" className={c.numeric ? 'num' : undefined}>
              {c.header}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {props.rows.map((row) => (
          <tr key={props.rowKey(row)}>
            {props.columns.map((c) => (
              <td key={c.header} className={c.numeric ? 'num' : undefined}>
                {c.cell(row)}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
  const placed = props.scroll ? <div className="table-scroll">{table}</div> : table;
  if (!props.summary) return placed;
  return (
    <details>
      <summary>{props.summary}</summary>
      {placed}
    </details>
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
  table?: ChartTableRows<Row>;
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
