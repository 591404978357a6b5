import { useMemo, useState } from 'react';
import { api, type Candidate } from '../api';
import { ErrorBanner } from '../components/ErrorBanner';
import { FormatBadge, StatsTable, type Column } from '../components/StatsTable';
import { useCatalogParam } from '../catalog';
import { useAction, useApi } from '../hooks';
import { useI18n, type I18n } from '../i18n';
import { Link, mergeHref, navigate, tableHref, useLocation, withQuery } from '../router';
import { intParam } from './query';

export const CANDIDATE_LIMITS = [25, 50, 100, 200, 500];
const DEFAULT_CANDIDATES = 50;

const key = (c: Candidate) => `${c.database}.${c.table}/${c.partition}`;

/** The score's terms, for its tooltip. */
export function scoreTerms(c: Candidate, i: I18n): string {
  const s = c.score;
  return i.t('candidates.terms', {
    files: i.count(s.files_removed),
    heap: i.bytes(s.heap_saved),
    f: i.decimal(s.f, 2),
    h: i.decimal(s.h, 2),
    c: i.decimal(s.coldness, 2),
    s: i.decimal(s.s, 2),
  });
}

function term(id: string, label: 'col.f' | 'col.h' | 'col.coldness' | 'col.s', title: 'candidates.fHint' | 'candidates.hHint' | 'candidates.coldnessHint' | 'candidates.sHint', pick: (c: Candidate) => number): Column<Candidate> {
  return {
    id,
    label,
    title,
    numeric: true,
    className: 'term',
    render: (r, i) => i.decimal(pick(r), 2),
    cellProps: (r) => ({ 'data-testid': `cell-${id}`, 'data-value': pick(r) }),
  };
}

function columns(plan: (c: Candidate) => void, planning: string | undefined): Column<Candidate>[] {
  return [
    {
      id: 'table',
      label: 'col.table',
      className: 'name-cell',
      render: (r) => (
        <Link href={tableHref(r.database, r.table)} className="table-link">
          <span className="db-name">{r.database}.</span>
          <span className="tbl-name">{r.table}</span>
        </Link>
      ),
    },
    {
      id: 'partition',
      label: 'col.partition',
      className: 'name-cell',
      render: (r, i) => <span className="spec">{r.partition || <em className="muted">{i.t('table.unpartitioned')}</em>}</span>,
    },
    { id: 'format', label: 'col.format', render: (r) => (r.format ? <FormatBadge format={r.format} /> : '—') },
    {
      id: 'files',
      label: 'col.files',
      numeric: true,
      render: (r, i) => i.count(r.files),
      cellProps: (r) => ({ 'data-testid': 'cell-files', 'data-value': r.files }),
    },
    { id: 'small', label: 'col.smallFiles', numeric: true, render: (r, i) => i.count(r.small_files) },
    { id: 'reducible', label: 'col.reducible', numeric: true, render: (r, i) => i.count(r.reducible_files) },
    { id: 'bytes', label: 'col.bytes', numeric: true, render: (r, i) => i.bytes(r.bytes) },
    { id: 'newest', label: 'col.newest', numeric: true, className: 'nowrap', render: (r, i) => i.dateTime(r.newest_mtime) },
    {
      id: 'score',
      label: 'col.score',
      numeric: true,
      render: (r, i) => (
        <span className="score" title={scoreTerms(r, i)}>
          <span className="score-bar" aria-hidden="true">
            <span style={{ width: `${Math.max(0, Math.min(100, r.score.value))}%` }} />
          </span>
          <strong>{i.decimal(r.score.value, 2)}</strong>
        </span>
      ),
      cellProps: (r) => ({ 'data-testid': 'cell-score', 'data-value': r.score.value }),
    },
    term('f', 'col.f', 'candidates.fHint', (c) => c.score.f),
    term('h', 'col.h', 'candidates.hHint', (c) => c.score.h),
    term('coldness', 'col.coldness', 'candidates.coldnessHint', (c) => c.score.coldness),
    term('s', 'col.s', 'candidates.sHint', (c) => c.score.s),
    {
      id: 'plan',
      label: 'col.actions',
      render: (r, i) => (
        <button
          type="button"
          className="btn btn-small"
          onClick={() => plan(r)}
          disabled={planning !== undefined}
          data-testid="candidate-plan"
        >
          {planning === key(r) ? i.t('table.planning') : i.t('candidates.plan')}
        </button>
      ),
    },
  ];
}

/** The partitions most worth merging, by score, each with a Plan action. */
export function Candidates() {
  const i = useI18n();
  const { t } = i;
  const { pathname, query } = useLocation();
  const limit = intParam(query, 'limit', DEFAULT_CANDIDATES, 1, 1000);
  const catalog = useCatalogParam();
  const list = useApi((signal) => api.listCandidates({ catalog, limit }, { signal }), [catalog, limit]);

  const [planning, setPlanning] = useState<string>();
  const planAction = useAction((c: Candidate) =>
    api.planMerge({ catalog, database: c.database, table: c.table, partitions: c.partition ? [c.partition] : undefined }),
  );
  const cols = useMemo(
    () =>
      columns(async (c) => {
        setPlanning(key(c));
        const out = await planAction.run(c);
        setPlanning(undefined);
        if (out.ok) navigate(mergeHref(out.value.id));
      }, planning),
    // planAction.run is stable.
    [planning],
  );
  const planAll = useAction(() => api.planCandidates({ catalog, limit }));
  const limits = CANDIDATE_LIMITS.includes(limit) ? CANDIDATE_LIMITS : [...CANDIDATE_LIMITS, limit].sort((a, b) => a - b);

  return (
    <div className="page" data-testid="candidates-page">
      <div className="page-head">
        <h1>{t('candidates.title')}</h1>
        <p className="page-sub">{t('candidates.hint')}</p>
      </div>
      <ErrorBanner error={planAction.error ?? planAll.error} />
      <section className="card">
        <header className="card-head">
          <h2>{t('candidates.ranked')}</h2>
          <p className="card-hint score-help" data-testid="score-help">
            {t('candidates.formula')}
          </p>
        </header>
        <div className="toolbar">
          <label className="field">
            <span>{t('candidates.show')}</span>
            <select
              value={limit}
              onChange={(e) => navigate(withQuery(pathname, query, { limit: Number(e.target.value) === DEFAULT_CANDIDATES ? undefined : e.target.value }))}
              data-testid="candidates-limit"
            >
              {limits.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </label>
          <span className="spacer" />
          <button
            type="button"
            className="btn btn-primary"
            disabled={planAll.busy || !list.data?.items.length}
            onClick={async () => {
              const out = await planAll.run();
              if (out.ok) navigate(withQuery('/merges', new URLSearchParams(), { state: 'planned' }));
            }}
            data-testid="candidates-plan-all"
          >
            {t('candidates.planAll')}
          </button>
        </div>
        <p className="card-hint">{t('candidates.planAllHint')}</p>
        <ErrorBanner error={list.error} onRetry={list.reload} />
        <StatsTable
          testId="candidates-table"
          columns={cols}
          rows={list.data?.items ?? []}
          rowKey={key}
          rowProps={(r) => ({ 'data-testid': 'candidate-row', 'data-table': `${r.database}.${r.table}`, 'data-spec': r.partition })}
          empty={list.error ? '' : t('candidates.empty')}
          loading={list.loading}
        />
      </section>
    </div>
  );
}
