import { useMemo } from 'react';
import { api, DEFAULT_LIMIT, FORMATS, SORT_KEYS, type Order, type SortKey } from '../api';
import { tableColumns } from '../components/columns';
import { ErrorBanner } from '../components/ErrorBanner';
import { Pager } from '../components/Pager';
import { StatsTable } from '../components/StatsTable';
import { useCatalogParam } from '../catalog';
import { useApi } from '../hooks';
import { useI18n } from '../i18n';
import { navigate, useLocation, withQuery } from '../router';
import { enumParam, listState } from './query';
import { EmptyState } from './Overview';
import { SearchBox } from './SearchBox';

const COLUMNS = tableColumns();

/**
 * The table explorer: server-side sort, filter and paging, with all of its
 * state in the query string (sort, order, search, database, format, limit,
 * offset).
 */
export function Tables() {
  const i = useI18n();
  const { t } = i;
  const { pathname, query } = useLocation();
  const state = listState(query, SORT_KEYS, 'small_files');
  const database = query.get('database') ?? '';
  const format = enumParam(query, 'format', FORMATS);
  const { sort, order, limit, offset, search } = state;

  const catalog = useCatalogParam();
  const tables = useApi(
    (signal) =>
      api.listTables(
        { catalog, database: database || undefined, search: search || undefined, format, sort, order, limit, offset },
        { signal },
      ),
    [catalog, database, search, format, sort, order, limit, offset],
  );
  const databases = useApi((signal) => api.listDatabases({ catalog }, { signal }), [catalog]);

  const set = (changes: Record<string, string | number | undefined>, replace = false) =>
    navigate(withQuery(pathname, query, changes), { replace });

  const dbOptions = useMemo(() => {
    const names = (databases.data?.items ?? []).map((d) => d.name);
    if (database && !names.includes(database)) names.push(database);
    return names;
  }, [databases.data, database]);

  const total = tables.data?.total ?? 0;
  // Before the first scan the API answers with an empty page of scan 0.
  if (tables.data && !tables.data.scan_id && !database && !search && !format) return <EmptyState />;
  return (
    <div className="page" data-testid="tables-page">
      <div className="page-head">
        <h1>{t('tables.title')}</h1>
        {tables.data && (
          <p className="page-sub" data-testid="tables-total" data-value={total}>
            {t('tables.count', { total: i.count(total) })}
          </p>
        )}
      </div>
      <section className="card">
        <div className="toolbar">
          <SearchBox
            value={search}
            label={t('tables.search')}
            placeholder={t('tables.searchPlaceholder')}
            onSearch={(v) => set({ search: v, offset: undefined }, true)}
          />
          <label className="field">
            <span>{t('tables.database')}</span>
            <select
              value={database}
              onChange={(e) => set({ database: e.target.value, offset: undefined })}
              data-testid="filter-database"
            >
              <option value="">{t('tables.allDatabases')}</option>
              {dbOptions.map((d) => (
                <option key={d} value={d}>
                  {d}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>{t('tables.format')}</span>
            <select
              value={format ?? ''}
              onChange={(e) => set({ format: e.target.value, offset: undefined })}
              data-testid="filter-format"
            >
              <option value="">{t('tables.allFormats')}</option>
              {FORMATS.map((f) => (
                <option key={f} value={f}>
                  {f}
                </option>
              ))}
            </select>
          </label>
        </div>
        <ErrorBanner error={databases.error} onRetry={databases.reload} />
        <ErrorBanner error={tables.error} onRetry={tables.reload} />
        <StatsTable
          testId="tables-table"
          columns={COLUMNS}
          rows={tables.data?.items ?? []}
          rowKey={(r) => `${r.database}.${r.table}`}
          rowProps={(r) => ({ 'data-testid': 'table-row', 'data-table': `${r.database}.${r.table}` })}
          sort={sort}
          order={order}
          onSort={(s: SortKey, o: Order) => set({ sort: s, order: o, offset: undefined })}
          empty={tables.error ? '' : t('tables.empty')}
          loading={tables.loading}
        />
        {tables.data && (
          <Pager
            total={total}
            limit={limit}
            offset={offset}
            onChange={(off, lim) => set({ offset: off || undefined, limit: lim === DEFAULT_LIMIT ? undefined : lim })}
          />
        )}
      </section>
    </div>
  );
}
