import { useMemo, useState, type ReactNode } from 'react';
import {
  api,
  DEFAULT_LIMIT,
  PARTITION_SORT_KEYS,
  type Order,
  type PartitionSortKey,
  type PartitionStats,
  type TableStats,
} from '../api';
import { HistogramChart } from '../charts/lazy';
import { partitionColumns } from '../components/columns';
import { ErrorBanner } from '../components/ErrorBanner';
import { TrendCard } from '../components/TrendCard';
import { Pager } from '../components/Pager';
import { FormatBadge, RatioCell, StatsTable } from '../components/StatsTable';
import { ratioSeverity } from '../format';
import type { Column } from '../components/StatsTable';
import { useCatalogParam } from '../catalog';
import { useAction, useApi } from '../hooks';
import { useI18n, type I18n } from '../i18n';
import { Link, mergeHref, navigate, useLocation, withQuery } from '../router';
import { EmptyState } from './Overview';
import { listState } from './query';
import { SearchBox } from './SearchBox';

const COLUMNS = partitionColumns();

function Stat({ label, children, testId, value }: { label: string; children: ReactNode; testId?: string; value?: number }) {
  return (
    <div className="kv" data-testid={testId} data-value={value}>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function TableStatsCard({ s, i }: { s: TableStats; i: I18n }) {
  const { t } = i;
  const sev = ratioSeverity(s.small_ratio);
  return (
    <div className="detail-grid">
      <div className="stat-grid stat-grid-4">
        <div className="card stat-card" data-testid="table-files" data-value={s.files}>
          <div className="stat-label">{t('table.files')}</div>
          <div className="stat-value">{i.count(s.files)}</div>
          <div className="stat-detail">
            {t('table.filesAfterMerge')}: {i.count(s.files_after_merge)}
          </div>
        </div>
        <div className={`card stat-card tone-${sev}`} data-testid="table-small-files" data-value={s.small_files}>
          <div className="stat-label">{t('table.smallFiles')}</div>
          <div className="stat-value">{i.count(s.small_files)}</div>
          <div className="stat-detail">
            <RatioCell ratio={s.small_ratio} />
          </div>
        </div>
        <div className="card stat-card" data-testid="table-bytes" data-value={s.bytes}>
          <div className="stat-label">{t('table.bytes')}</div>
          <div className="stat-value">{i.bytes(s.bytes)}</div>
          <div className="stat-detail">
            {t('table.avgSize')}: {i.bytes(s.avg_size)}
          </div>
        </div>
        <div className="card stat-card" data-testid="table-heap" data-value={s.namenode_heap_bytes}>
          <div className="stat-label">{t('table.heap')}</div>
          <div className="stat-value">{i.bytes(s.namenode_heap_bytes)}</div>
          <div className="stat-detail">
            {t('table.reducible')}: {i.count(s.reducible_files)}
          </div>
        </div>
      </div>
      <section className="card">
        <header className="card-head">
          <h2>{t('table.stats')}</h2>
        </header>
        <dl className="kv-grid">
          <Stat label={t('table.location')}>
            <code className="break">{s.location}</code>
          </Stat>
          <Stat label={t('table.format')}>
            <FormatBadge format={s.format} />
          </Stat>
          <Stat label={t('table.owner')}>{s.owner || '—'}</Stat>
          <Stat label={t('table.partitioned')}>{s.partitioned ? t('common.yes') : t('common.no')}</Stat>
          <Stat label={t('table.transactional')}>{s.transactional ? t('common.yes') : t('common.no')}</Stat>
          <Stat label={t('table.partitions')} testId="table-partitions" value={s.partitions}>
            {s.partitioned ? i.count(s.partitions) : '—'}
          </Stat>
          <Stat label={t('table.smallRatio')}>{i.ratio(s.small_ratio)}</Stat>
          <Stat label={t('table.minSize')}>{i.bytes(s.min_size)}</Stat>
          <Stat label={t('table.maxSize')}>{i.bytes(s.max_size)}</Stat>
          <Stat label={t('table.filesAfterMerge')}>{i.count(s.files_after_merge)}</Stat>
          <Stat label={t('table.reducible')}>{i.count(s.reducible_files)}</Stat>
          <Stat label={t('table.errorPartitions')} testId="table-error-partitions" value={s.error_partitions}>
            <span className={s.error_partitions > 0 ? 'text-bad' : undefined}>{i.count(s.error_partitions)}</span>
          </Stat>
          <Stat label={t('table.oldest')}>{i.dateTime(s.oldest_mtime)}</Stat>
          <Stat label={t('table.newest')}>{i.dateTime(s.newest_mtime)}</Stat>
        </dl>
      </section>
    </div>
  );
}

/** A checkbox column that selects partitions (by spec) for a merge plan. */
function selectColumn(
  selected: ReadonlySet<string>,
  toggle: (specs: string[], on: boolean) => void,
  pageSpecs: string[],
): Column<PartitionStats> {
  const all = pageSpecs.length > 0 && pageSpecs.every((s) => selected.has(s));
  return {
    id: 'select',
    label: 'table.selectPage',
    className: 'select-cell',
    header: (i) => (
      <input
        type="checkbox"
        checked={all}
        disabled={pageSpecs.length === 0}
        aria-label={i.t('table.selectPage')}
        title={i.t('table.selectPage')}
        onChange={(e) => toggle(pageSpecs, e.target.checked)}
        data-testid="select-page"
      />
    ),
    render: (r, i) =>
      r.spec ? (
        <input
          type="checkbox"
          checked={selected.has(r.spec)}
          aria-label={i.t('table.selectPartition', { partition: r.spec })}
          onChange={(e) => toggle([r.spec], e.target.checked)}
          data-testid="select-partition"
        />
      ) : null,
  };
}

/** One table: its statistics, histogram, trend and partitions. */
export function TableDetail({ database, table }: { database: string; table: string }) {
  const i = useI18n();
  const { t } = i;
  const { pathname, query } = useLocation();
  const { sort, order, limit, offset, search } = listState<PartitionSortKey>(query, PARTITION_SORT_KEYS, 'small_files');
  const errorsOnly = query.get('errors') === 'true';

  const catalog = useCatalogParam();
  const summary = useApi((signal) => api.getSummary({ catalog }, { signal }), [catalog]);
  const stats = useApi((signal) => api.getTable(database, table, { catalog }, { signal }), [catalog, database, table]);
  const trend = useApi((signal) => api.getTrend({ catalog, database, table }, { signal }), [catalog, database, table]);
  const parts = useApi(
    (signal) =>
      api.listTablePartitions(
        database,
        table,
        { catalog, search: search || undefined, errors: errorsOnly, sort, order, limit, offset },
        { signal },
      ),
    [catalog, database, table, search, errorsOnly, sort, order, limit, offset],
  );

  const set = (changes: Record<string, string | number | boolean | undefined>, replace = false) =>
    navigate(withQuery(pathname, query, changes), { replace });

  // Partitions picked for a merge plan; kept across pages, sorting and filters.
  const [selected, setSelected] = useState<ReadonlySet<string>>(() => new Set());
  const toggle = (specs: string[], on: boolean) =>
    setSelected((old) => {
      const next = new Set(old);
      for (const s of specs) {
        if (on) next.add(s);
        else next.delete(s);
      }
      return next;
    });
  const partitioned = stats.data?.partitioned ?? false;
  const pageSpecs = (parts.data?.items ?? []).map((p) => p.spec).filter((s) => s !== '');
  const columns = useMemo(
    () => (partitioned ? [selectColumn(selected, toggle, pageSpecs), ...COLUMNS] : COLUMNS),
    // toggle only uses the state setter.
    [partitioned, selected, pageSpecs.join('\u0000')],
  );

  const plan = useAction(() =>
    api.planMerge({ catalog, database, table, partitions: selected.size > 0 ? [...selected].sort() : undefined }),
  );
  const startPlan = async () => {
    const out = await plan.run();
    if (out.ok) navigate(mergeHref(out.value.id));
  };

  const snapshot = summary.data?.snapshot ?? undefined;
  if (summary.data && !snapshot) return <EmptyState />;
  const total = parts.data?.total ?? 0;

  return (
    <div className="page" data-testid="table-page" data-table={`${database}.${table}`}>
      <div className="page-head">
        <nav className="breadcrumb">
          <Link href="/tables">{t('table.back')}</Link>
        </nav>
        <div className="page-title-row">
          <h1>
            <span className="db-name">{database}.</span>
            {table}
          </h1>
          <span className="spacer" />
          {selected.size > 0 && (
            <span className="muted selection" data-testid="selection-count" data-value={selected.size}>
              {t('table.selection', { count: i.count(selected.size) })}
              <button type="button" className="btn btn-small btn-ghost" onClick={() => setSelected(new Set())} data-testid="selection-clear">
                {t('table.clearSelection')}
              </button>
            </span>
          )}
          <button
            type="button"
            className="btn btn-primary"
            onClick={() => void startPlan()}
            disabled={plan.busy}
            aria-busy={plan.busy}
            title={t('table.planHint')}
            data-testid="plan-merge"
          >
            {plan.busy
              ? t('table.planning')
              : selected.size > 0
                ? t('table.planSelected', { count: i.count(selected.size) })
                : t('table.planMerge')}
          </button>
        </div>
        {stats.data && (
          <p className="page-sub">
            <FormatBadge format={stats.data.format} />
            {stats.data.partitioned && <span className="badge">{t('table.partitioned')}</span>}
            {stats.data.transactional && <span className="badge">{t('table.transactional')}</span>}
            {stats.data.error_partitions > 0 && (
              <span className="badge badge-bad">
                {t('summary.errorPartitions', { count: i.count(stats.data.error_partitions) })}
              </span>
            )}
          </p>
        )}
      </div>
      <ErrorBanner error={plan.error} />
      <ErrorBanner error={summary.error} onRetry={summary.reload} />
      <ErrorBanner error={stats.error} onRetry={stats.reload} />
      {!stats.data && stats.loading && <div className="loading">{t('common.loading')}</div>}
      {stats.data && <TableStatsCard s={stats.data} i={i} />}
      <div className="grid-2">
        <section className="card">
          <header className="card-head">
            <h2>{t('table.histogram')}</h2>
            <p className="card-hint">{t('chart.histogramHint')}</p>
          </header>
          {stats.data && (
            <HistogramChart histogram={stats.data.histogram} threshold={snapshot?.thresholds.small_file_bytes} />
          )}
        </section>
        <TrendCard title={t('chart.trendTable')} trend={trend} />
      </div>
      <section className="card">
        <header className="card-head">
          <h2>{t('table.partitionsTitle')}</h2>
          {parts.data && (
            <span className="muted" data-testid="partitions-total" data-value={total}>
              {i.count(total)}
            </span>
          )}
        </header>
        <div className="toolbar">
          <SearchBox
            value={search}
            label={t('table.partitionsSearch')}
            placeholder={t('table.partitionsSearch')}
            onSearch={(v) => set({ search: v, offset: undefined }, true)}
            testId="partition-search"
          />
          <label className="check">
            <input
              type="checkbox"
              checked={errorsOnly}
              onChange={(e) => set({ errors: e.target.checked, offset: undefined })}
              data-testid="only-errors"
            />
            {t('table.onlyErrors')}
          </label>
        </div>
        <ErrorBanner error={parts.error} onRetry={parts.reload} />
        <StatsTable
          testId="partitions-table"
          columns={columns}
          rows={parts.data?.items ?? []}
          rowKey={(r) => r.spec || '(table)'}
          rowProps={(r) => ({ 'data-testid': 'partition-row', 'data-spec': r.spec, 'data-error': r.error ? 'true' : undefined })}
          rowExtra={(r) =>
            r.error ? (
              <span className="partition-error" data-testid="partition-error">
                {t('table.partitionError', { message: r.error })}
              </span>
            ) : null
          }
          sort={sort}
          order={order}
          onSort={(s, o: Order) => set({ sort: s, order: o, offset: undefined })}
          empty={parts.error ? '' : t('table.noPartitions')}
          loading={parts.loading}
        />
        {parts.data && (
          <Pager
            total={total}
            limit={limit}
            offset={offset}
            testId="partitions-pager"
            onChange={(off, lim) => set({ offset: off || undefined, limit: lim === DEFAULT_LIMIT ? undefined : lim })}
          />
        )}
      </section>
    </div>
  );
}
