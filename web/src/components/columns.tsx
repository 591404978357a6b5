import type { PartitionStats, TableStats } from '../api';
import { Link, tableHref } from '../router';
import { FormatBadge, RatioCell, type Column } from './StatsTable';

type Metrics = Pick<
  TableStats,
  'files' | 'small_files' | 'small_ratio' | 'bytes' | 'avg_size' | 'namenode_heap_bytes' | 'reducible_files' | 'newest_mtime' | 'format'
>;

/** The metric columns tables and partitions share. */
function metricColumns<T extends Metrics>(): Column<T>[] {
  return [
    {
      id: 'files',
      label: 'col.files',
      sort: 'files',
      numeric: true,
      render: (r, i) => i.count(r.files),
      cellProps: (r) => ({ 'data-testid': 'cell-files', 'data-value': r.files }),
    },
    {
      id: 'small_files',
      label: 'col.smallFiles',
      sort: 'small_files',
      numeric: true,
      render: (r, i) => i.count(r.small_files),
      cellProps: (r) => ({ 'data-testid': 'cell-small-files', 'data-value': r.small_files }),
    },
    {
      id: 'small_ratio',
      label: 'col.smallRatio',
      sort: 'small_ratio',
      numeric: true,
      render: (r) => <RatioCell ratio={r.small_ratio} />,
      cellProps: (r) => ({ 'data-testid': 'cell-small-ratio', 'data-value': r.small_ratio }),
    },
    {
      id: 'bytes',
      label: 'col.bytes',
      sort: 'bytes',
      numeric: true,
      render: (r, i) => i.bytes(r.bytes),
      cellProps: (r) => ({ 'data-testid': 'cell-bytes', 'data-value': r.bytes, title: String(r.bytes) }),
    },
    {
      id: 'avg_size',
      label: 'col.avgSize',
      sort: 'avg_size',
      numeric: true,
      render: (r, i) => i.bytes(r.avg_size),
    },
    {
      id: 'heap',
      label: 'col.heap',
      sort: 'namenode_heap_bytes',
      numeric: true,
      render: (r, i) => i.bytes(r.namenode_heap_bytes),
    },
    {
      id: 'reducible',
      label: 'col.reducible',
      sort: 'reducible_files',
      numeric: true,
      render: (r, i) => i.count(r.reducible_files),
    },
    {
      id: 'newest',
      label: 'col.newest',
      sort: 'newest_mtime',
      numeric: true,
      className: 'nowrap',
      render: (r, i) => i.dateTime(r.newest_mtime),
    },
  ];
}

const formatColumn = <T extends Metrics>(): Column<T> => ({
  id: 'format',
  label: 'col.format',
  render: (r) => <FormatBadge format={r.format} />,
});

export function tableColumns(compact = false): Column<TableStats>[] {
  const name: Column<TableStats> = {
    id: 'name',
    label: 'col.table',
    sort: 'name',
    className: 'name-cell',
    render: (r, i) => (
      <Link href={tableHref(r.database, r.table)} className="table-link" data-testid="table-link">
        <span className="db-name">{r.database}.</span>
        <span className="tbl-name">{r.table}</span>
        {r.error_partitions > 0 && (
          <span className="badge badge-bad" title={i.t('summary.errorPartitions', { count: i.count(r.error_partitions) })}>
            {i.count(r.error_partitions)} !
          </span>
        )}
      </Link>
    ),
  };
  const partitions: Column<TableStats> = {
    id: 'partitions',
    label: 'col.partitions',
    sort: 'partitions',
    numeric: true,
    render: (r, i) => (r.partitioned ? i.count(r.partitions) : '—'),
    cellProps: (r) => ({ 'data-testid': 'cell-partitions', 'data-value': r.partitions }),
  };
  const metrics = metricColumns<TableStats>();
  if (compact) {
    const keep = new Set(['files', 'small_files', 'small_ratio', 'bytes', 'reducible']);
    return [name, formatColumn<TableStats>(), partitions, ...metrics.filter((c) => keep.has(c.id))];
  }
  return [name, formatColumn<TableStats>(), partitions, ...metrics];
}

export function partitionColumns(): Column<PartitionStats>[] {
  const spec: Column<PartitionStats> = {
    id: 'spec',
    label: 'col.partition',
    sort: 'name',
    className: 'name-cell',
    render: (r, i) => (
      <span className="spec" title={r.location}>
        {r.spec || <em className="muted">{i.t('table.unpartitioned')}</em>}
        {r.error && <span className="badge badge-bad">!</span>}
      </span>
    ),
  };
  const metrics = metricColumns<PartitionStats>();
  const median: Column<PartitionStats> = {
    id: 'median',
    label: 'col.medianSize',
    numeric: true,
    render: (r, i) => i.bytes(r.median_size),
  };
  const avgAt = metrics.findIndex((c) => c.id === 'avg_size');
  metrics.splice(avgAt + 1, 0, median);
  return [spec, formatColumn<PartitionStats>(), ...metrics];
}
