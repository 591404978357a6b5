import { useCallback, useMemo, useState } from 'react';
import {
  api,
  ApiError,
  canRollBack,
  DEFAULT_LIMIT,
  errorMessage,
  MAX_LIMIT,
  MERGE_STATES,
  type CatalogInfo,
  type MergeJob,
} from '../api';
import { knownCatalog, useCatalogs } from '../catalog';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorBanner } from '../components/ErrorBanner';
import { MergeStateBadge } from '../components/MergeBadges';
import { Pager } from '../components/Pager';
import { StatsTable, type Column } from '../components/StatsTable';
import { secondsBetween } from '../format';
import { useAction, useApi } from '../hooks';
import { useI18n, type I18n } from '../i18n';
import { Link, mergeHref, navigate, tableHref, useLocation, withQuery } from '../router';
import { enumParam, intParam } from './query';

/** The seconds a job ran, from its start to its end (or now while it runs). */
export function jobSeconds(job: Pick<MergeJob, 'started_at' | 'finished_at' | 'state'>, now = Date.now()): number | undefined {
  if (job.finished_at) return secondsBetween(job.started_at, job.finished_at);
  if (job.state === 'running') return secondsBetween(job.started_at, new Date(now).toISOString());
  return undefined;
}

/** The query parameter value of /merges that lists the jobs of every catalog. */
export const ALL_CATALOGS = 'all';

function columns(
  onRollback: (job: MergeJob) => void,
  busy: boolean,
  catalogs: readonly CatalogInfo[] | undefined,
): Column<MergeJob>[] {
  const several = (catalogs?.length ?? 0) > 1;
  const catalogColumn: Column<MergeJob>[] = several
    ? [
        {
          id: 'catalog',
          label: 'col.catalog',
          render: (r) => (r.catalog ? <code>{r.catalog}</code> : '—'),
          cellProps: (r) => ({ 'data-testid': 'cell-catalog', 'data-value': r.catalog }),
        },
      ]
    : [];
  return [
    {
      id: 'id',
      label: 'col.id',
      numeric: true,
      render: (r) => (
        <Link href={mergeHref(r.id)} data-testid="merge-link">
          #{r.id}
        </Link>
      ),
    },
    ...catalogColumn,
    {
      id: 'table',
      label: 'col.table',
      className: 'name-cell',
      render: (r) => (
        <Link href={tableHref(r.database, r.table, knownCatalog(catalogs, r.catalog))} className="table-link">
          <span className="db-name">{r.database}.</span>
          <span className="tbl-name">{r.table}</span>
        </Link>
      ),
    },
    { id: 'state', label: 'col.state', render: (r) => <MergeStateBadge state={r.state} /> },
    { id: 'created_by', label: 'col.createdBy', render: (r) => r.created_by || '—' },
    { id: 'created', label: 'col.created', className: 'nowrap', render: (r, i) => i.dateTime(r.created_at) },
    {
      id: 'files',
      label: 'col.filesChange',
      numeric: true,
      render: (r, i) => (r.plan ? `${i.count(r.plan.files_before)} → ${i.count(r.plan.files_after)}` : '—'),
      cellProps: (r) => ({ 'data-testid': 'cell-files-change', 'data-before': r.plan?.files_before, 'data-after': r.plan?.files_after }),
    },
    {
      id: 'duration',
      label: 'col.duration',
      numeric: true,
      render: (r, i: I18n) => {
        const s = jobSeconds(r);
        return s === undefined ? '—' : i.duration(s);
      },
    },
    {
      id: 'actions',
      label: 'col.actions',
      render: (r, i) =>
        canRollBack(r) ? (
          <button
            type="button"
            className="btn btn-small btn-danger-outline"
            onClick={() => onRollback(r)}
            disabled={busy}
            data-testid="row-rollback"
          >
            {i.t('job.rollback')}
          </button>
        ) : null,
    },
  ];
}

/**
 * Every merge job, newest first, paged on the server and filtered by state
 * and catalog. With several catalogs it lists the shown catalog's jobs (or
 * every catalog's with ?catalogs=all) and has a catalog column; with one,
 * every job.
 */
export function Merges() {
  const i = useI18n();
  const { t } = i;
  const { pathname, query } = useLocation();
  const state = enumParam(query, 'state', MERGE_STATES);
  const limit = intParam(query, 'limit', DEFAULT_LIMIT, 1, MAX_LIMIT);
  const offset = intParam(query, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
  const { catalogs, current, selected } = useCatalogs();
  const several = (catalogs?.length ?? 0) > 1;
  const all = query.get('catalogs') === ALL_CATALOGS;
  const catalog = all ? undefined : (selected ?? (several ? current?.name : undefined));

  const jobs = useApi(
    (signal) => api.listMerges({ catalog, state, limit, offset }, { signal }),
    [catalog, state, limit, offset],
  );
  const set = (changes: Record<string, string | number | undefined>) => navigate(withQuery(pathname, query, changes));

  const [target, setTarget] = useState<MergeJob>();
  const [done, setDone] = useState<number>();
  const rollback = useAction((id: number) => api.rollbackMerge(id));
  const confirmRollback = async () => {
    if (!target) return;
    const out = await rollback.run(target.id);
    setTarget(undefined);
    if (out.ok) setDone(out.value.id);
    jobs.reload();
  };
  const ask = useCallback(
    (job: MergeJob) => {
      rollback.clear();
      setDone(undefined);
      setTarget(job);
    },
    [rollback.clear],
  );
  const cols = useMemo(() => columns(ask, rollback.busy, catalogs), [ask, rollback.busy, catalogs]);
  const refused = rollback.error instanceof ApiError && rollback.error.status === 409;
  const total = jobs.data?.total ?? 0;

  return (
    <div className="page" data-testid="merges-page">
      <div className="page-head">
        <h1>{t('merges.title')}</h1>
        {jobs.data && (
          <p className="page-sub" data-testid="merges-total" data-value={total}>
            {t('merges.count', { total: i.count(total) })}
          </p>
        )}
      </div>
      {done !== undefined && (
        <div className="banner banner-ok" role="status" data-testid="rollback-done">
          <div className="banner-body">{t('merges.rolledBack', { id: done })}</div>
          <button type="button" className="btn btn-small btn-ghost" onClick={() => setDone(undefined)}>
            {t('common.dismiss')}
          </button>
        </div>
      )}
      {refused ? (
        <div className="banner banner-error" role="alert" data-testid="rollback-refused">
          <span className="banner-icon" aria-hidden="true">
            !
          </span>
          <div className="banner-body">
            <strong>{t('job.rollbackRefused')}</strong>
            <span className="banner-message">{errorMessage(rollback.error)}</span>
          </div>
          <button type="button" className="btn btn-small" onClick={rollback.clear}>
            {t('common.dismiss')}
          </button>
        </div>
      ) : (
        <ErrorBanner error={rollback.error} />
      )}
      <section className="card">
        <div className="toolbar">
          <label className="field">
            <span>{t('merges.state')}</span>
            <select
              value={state ?? ''}
              onChange={(e) => set({ state: e.target.value, offset: undefined })}
              data-testid="filter-state"
            >
              <option value="">{t('merges.allStates')}</option>
              {MERGE_STATES.map((s) => (
                <option key={s} value={s}>
                  {t(`merge.state.${s}`)}
                </option>
              ))}
            </select>
          </label>
          {several && (
            <label className="field">
              <span>{t('merges.catalog')}</span>
              <select
                value={all ? '' : (catalog ?? '')}
                onChange={(e) =>
                  e.target.value
                    ? navigate(withQuery(pathname, query, { catalog: e.target.value, catalogs: undefined, offset: undefined }))
                    : set({ catalogs: ALL_CATALOGS, offset: undefined })
                }
                data-testid="filter-catalog"
              >
                <option value="">{t('merges.allCatalogs')}</option>
                {(catalogs ?? []).map((c) => (
                  <option key={c.name} value={c.name}>
                    {c.name}
                  </option>
                ))}
              </select>
            </label>
          )}
        </div>
        <ErrorBanner error={jobs.error} onRetry={jobs.reload} />
        <StatsTable
          testId="merges-table"
          columns={cols}
          rows={jobs.data?.items ?? []}
          rowKey={(r) => String(r.id)}
          rowProps={(r) => ({ 'data-testid': 'merge-row', 'data-id': r.id, 'data-state': r.state })}
          empty={jobs.error ? '' : t('merges.empty')}
          loading={jobs.loading}
        />
        {jobs.data && (
          <Pager
            total={total}
            limit={limit}
            offset={offset}
            testId="merges-pager"
            onChange={(off, lim) => set({ offset: off || undefined, limit: lim === DEFAULT_LIMIT ? undefined : lim })}
          />
        )}
      </section>
      <ConfirmDialog
        open={!!target}
        title={t('job.confirmRollbackTitle')}
        confirmLabel={t('job.rollback')}
        danger
        busy={rollback.busy}
        onConfirm={() => void confirmRollback()}
        onCancel={() => setTarget(undefined)}
        testId="confirm-rollback"
      >
        {target && t('job.confirmRollback', { id: target.id, table: `${target.database}.${target.table}` })}
      </ConfirmDialog>
    </div>
  );
}
