import type { ReactNode } from 'react';
import { defaultOrder, type Order, type SortKey } from '../api';
import { ratioSeverity } from '../format';
import { useI18n, type I18n, type MessageKey } from '../i18n';

export interface Column<T> {
  id: string;
  label: MessageKey;
  /** The API sort key of the column; absent for columns the server cannot sort by. */
  sort?: SortKey;
  numeric?: boolean;
  className?: string;
  render: (row: T, i: I18n) => ReactNode;
  /** Extra attributes of the cell, e.g. data-testid and data-value. */
  cellProps?: (row: T) => Record<string, string | number | undefined>;
  /** Replaces the label in the header, e.g. a select-all checkbox. */
  header?: (i: I18n) => ReactNode;
  /** A tooltip of the header. */
  title?: MessageKey;
}

export interface StatsTableProps<T> {
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  rowProps?: (row: T) => Record<string, string | number | undefined>;
  /** Rendered under a row across all columns, e.g. a partition's error. */
  rowExtra?: (row: T) => ReactNode;
  sort?: SortKey;
  order?: Order;
  /** Makes the sortable headers clickable. */
  onSort?: (sort: SortKey, order: Order) => void;
  empty: string;
  loading?: boolean;
  testId?: string;
}

/** The order a click on column key gives: flip when it already sorts, else its default. */
export function nextOrder(key: SortKey, current: SortKey | undefined, order: Order | undefined): Order {
  if (key === current) return order === 'asc' ? 'desc' : 'asc';
  return defaultOrder(key);
}

export function StatsTable<T>({
  columns,
  rows,
  rowKey,
  rowProps,
  rowExtra,
  sort,
  order,
  onSort,
  empty,
  loading,
  testId,
}: StatsTableProps<T>) {
  const i = useI18n();
  const { t } = i;
  return (
    <div className={`table-wrap${loading ? ' is-loading' : ''}`} aria-busy={loading}>
      <table className="data-table" data-testid={testId}>
        <thead>
          <tr>
            {columns.map((c) => {
              const sorted = c.sort !== undefined && c.sort === sort;
              const cls = [c.numeric ? 'num' : '', c.className ?? '', sorted ? 'sorted' : ''].filter(Boolean).join(' ');
              const ariaSort = sorted ? (order === 'asc' ? 'ascending' : 'descending') : undefined;
              return (
                <th key={c.id} className={cls || undefined} aria-sort={ariaSort} scope="col" title={c.title ? t(c.title) : undefined}>
                  {c.header ? (
                    c.header(i)
                  ) : c.sort && onSort ? (
                    <button
                      type="button"
                      className="sort-button"
                      data-testid={`sort-${c.sort}`}
                      title={t('col.sortBy', { column: t(c.label) })}
                      onClick={() => onSort(c.sort as SortKey, nextOrder(c.sort as SortKey, sort, order))}
                    >
                      <span>{t(c.label)}</span>
                      <span className={`sort-icon${sorted ? ' on' : ''}`} aria-hidden="true">
                        {sorted ? (order === 'asc' ? '▲' : '▼') : '↕'}
                      </span>
                    </button>
                  ) : (
                    t(c.label)
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 && !loading && (
            <tr>
              <td className="table-empty" colSpan={columns.length}>
                {empty}
              </td>
            </tr>
          )}
          {rows.map((r) => {
            const key = rowKey(r);
            const extra = rowExtra?.(r);
            return [
              <tr key={key} {...rowProps?.(r)} className={extra ? 'has-extra' : undefined}>
                {columns.map((c) => (
                  <td key={c.id} className={[c.numeric ? 'num' : '', c.className ?? ''].filter(Boolean).join(' ') || undefined} {...c.cellProps?.(r)}>
                    {c.render(r, i)}
                  </td>
                ))}
              </tr>,
              extra ? (
                <tr key={`${key}/extra`} className="row-extra">
                  <td colSpan={columns.length}>{extra}</td>
                </tr>
              ) : null,
            ];
          })}
        </tbody>
      </table>
    </div>
  );
}

/** A small-file ratio with a bar coloured by severity. */
export function RatioCell({ ratio }: { ratio: number }) {
  const { ratio: fmt } = useI18n();
  const sev = ratioSeverity(ratio);
  const w = Math.max(0, Math.min(1, ratio)) * 100;
  return (
    <span className={`ratio ratio-${sev}`}>
      <span className="ratio-bar" aria-hidden="true">
        <span style={{ width: `${w}%` }} />
      </span>
      <span className="ratio-text">{fmt(ratio)}</span>
    </span>
  );
}

export function FormatBadge({ format }: { format: string }) {
  return <span className={`badge badge-format fmt-${format.replace(/[^a-z]/g, '')}`}>{format}</span>;
}
