import type { ReactNode } from 'react';

/** One column: its header, whether it holds figures (right-aligned), and each row's cell. */
interface Column<Row> {
  header: string;
  numeric?: boolean;
  /** In a `stack` table on a phone each cell is a line of its own: a labelled one names its column first. */
  labelled?: boolean;
  cell: (row: Row) => ReactNode;
}

/** Rows shown as a table with a header row, one column declaration for header and cells alike. */
export interface DataTableProps<Row> {
  columns: Column<Row>[];
  rows: readonly Row[];
  rowKey: (row: Row) => string | number;
  /** The table's classes: `grid small` unless told (`grid` for a full-size table, `stack` to stack on phones). */
  className?: string;
  caption?: ReactNode;
  /** A caption for screen readers only, where the card's heading already names the table on screen. */
  captionClassName?: string;
  /** Marks a row (the one open below the table). */
  rowClassName?: (row: Row) => string | undefined;
  /** Folds the table into a disclosure with this summary (for tables longer than the chart is tall). */
  summary?: string;
  /** Scrolls sideways on narrow screens (many columns). */
  scroll?: boolean;
}

const numericClass = (column: { numeric?: boolean }) => (column.numeric ? 'num' : undefined);

/**
 * A `grid` table: a header cell and a body cell per column, from one declaration, so a column's
 * header, alignment and phone label cannot drift apart. Callers keep their own empty states.
 */
export function DataTable<Row>(props: DataTableProps<Row>) {
  const table = (
    <table className={props.className ?? 'grid small'}>
      {props.caption && <caption className={props.captionClassName}>{props.caption}</caption>}
      <thead>
        <tr>
          {props.columns.map((c) => (
            <th key={c.header} scope="col" className={numericClass(c)}>
              {c.header}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {props.rows.map((row) => (
          <tr key={props.rowKey(row)} className={props.rowClassName?.(row)}>
            {props.columns.map((c) => (
              <td key={c.header} className={numericClass(c)} data-label={c.labelled ? c.header : undefined}>
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
