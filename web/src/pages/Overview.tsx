import { api } from '../api';
import { useCatalogParam } from '../catalog';
import { HistogramChart } from '../charts/lazy';
import { CatalogHealthCard } from '../components/CatalogHealth';
import { ErrorBanner } from '../components/ErrorBanner';
import { TrendCard } from '../components/TrendCard';
import { tableColumns } from '../components/columns';
import { StatsTable } from '../components/StatsTable';
import { SummaryCards } from '../components/SummaryCards';
import { useApi } from '../hooks';
import { useI18n } from '../i18n';
import { Link } from '../router';

const TOP_COLUMNS = tableColumns(true);

export function EmptyState() {
  const { t } = useI18n();
  return (
    <div className="card empty-state" data-testid="empty-state">
      <div className="empty-icon" aria-hidden="true">
        ◌
      </div>
      <h2>{t('empty.title')}</h2>
      <p>{t('empty.body')}</p>
    </div>
  );
}

export function Overview() {
  const i = useI18n();
  const { t } = i;
  const catalog = useCatalogParam();
  const summary = useApi((signal) => api.getSummary({ catalog }, { signal }), [catalog]);
  const snapshot = summary.data?.snapshot ?? undefined;
  const hasSnapshot = !!snapshot;
  const top = useApi(
    (signal) => api.listTables({ catalog, sort: 'small_files', limit: 10 }, { signal }),
    [catalog],
    hasSnapshot,
  );
  const trend = useApi((signal) => api.getTrend({ catalog }, { signal }), [catalog], hasSnapshot);

  if (summary.error)
    return (
      <>
        <ErrorBanner error={summary.error} onRetry={summary.reload} />
        <CatalogHealthCard />
      </>
    );
  if (!summary.data) return <div className="loading">{t('common.loading')}</div>;
  if (!snapshot)
    return (
      <div className="page">
        <EmptyState />
        <CatalogHealthCard />
      </div>
    );

  const totals = summary.data.totals;
  return (
    <div className="page" data-testid="overview">
      <div className="page-head">
        <h1>{t('nav.overview')}</h1>
        <p className="page-sub" data-testid="snapshot-meta" data-scan-id={snapshot.id}>
          {t('summary.snapshot', {
            id: snapshot.id,
            at: i.dateTime(snapshot.finished_at ?? snapshot.created_at),
            duration: i.duration(snapshot.duration_seconds),
          })}
          <span className="sep">·</span>
          <span className="muted">{t('summary.catalog')}:</span> <code>{snapshot.catalog}</code>
          {totals.error_partitions > 0 && (
            <span className="badge badge-bad">{t('summary.errorPartitions', { count: i.count(totals.error_partitions) })}</span>
          )}
        </p>
      </div>
      <SummaryCards totals={totals} snapshot={snapshot} />
      <div className="grid-2">
        <section className="card">
          <header className="card-head">
            <h2>{t('chart.histogram')}</h2>
            <p className="card-hint">{t('chart.histogramHint')}</p>
          </header>
          <HistogramChart histogram={totals.histogram} threshold={snapshot.thresholds.small_file_bytes} />
        </section>
        <TrendCard title={t('chart.trend')} trend={trend} />
      </div>
      <section className="card">
        <header className="card-head">
          <h2>{t('top.title')}</h2>
          <span className="spacer" />
          <Link href="/tables?sort=small_files&order=desc">{t('top.viewAll')}</Link>
        </header>
        <ErrorBanner error={top.error} onRetry={top.reload} />
        <StatsTable
          testId="top-tables"
          columns={TOP_COLUMNS}
          rows={top.data?.items ?? []}
          rowKey={(r) => `${r.database}.${r.table}`}
          rowProps={(r) => ({ 'data-testid': 'table-row', 'data-table': `${r.database}.${r.table}` })}
          sort="small_files"
          order="desc"
          empty={t('tables.empty')}
          loading={top.loading}
        />
      </section>
      <CatalogHealthCard />
    </div>
  );
}
