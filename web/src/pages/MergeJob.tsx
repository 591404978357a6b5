import { Fragment, useCallback, useEffect, useRef, useState } from 'react';
import {
  api,
  ApiError,
  canRollBack,
  errorMessage,
  isActiveMerge,
  isRunnable,
  type MergeGroup,
  type MergeJob,
  type MergeProgress,
  type PartitionPlan,
  type PartitionResult,
  type Plan,
} from '../api';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorBanner } from '../components/ErrorBanner';
import { MergeStateBadge, ModeLabel, StepBadge } from '../components/MergeBadges';
import { Pager } from '../components/Pager';
import { FormatBadge } from '../components/StatsTable';
import { secondsBetween, shortGoDuration } from '../format';
import { useAction } from '../hooks';
import { useI18n, type I18n } from '../i18n';
import { Link, tableHref } from '../router';
import { knownCatalog, useCatalogs } from '../catalog';

/** How often a queued or running job is polled. */
export const MERGE_POLL_MS = 1000;

/** Inputs of a group listed before "… and N more". */
const MAX_INPUTS_SHOWN = 20;

const PLAN_PAGE = 50;

/**
 * The job, refetched every pollMs while it is queued or running. A failed
 * poll keeps the last job shown (with the error) and tries again.
 */
function useMergeJob(id: number, pollMs: number) {
  const [job, setJob] = useState<MergeJob>();
  const [error, setError] = useState<unknown>();
  const [nonce, setNonce] = useState(0);
  const active = useRef(false);

  useEffect(() => {
    const ac = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      try {
        const j = await api.getMerge(id, { signal: ac.signal });
        if (ac.signal.aborted) return;
        setJob(j);
        setError(undefined);
        active.current = isActiveMerge(j.state);
      } catch (err) {
        if (ac.signal.aborted) return;
        setError(err);
        if (err instanceof ApiError && err.code === 'not_found') active.current = false;
      }
      if (active.current) timer = setTimeout(() => void tick(), pollMs);
    };
    void tick();
    return () => {
      ac.abort();
      clearTimeout(timer);
    };
  }, [id, pollMs, nonce]);

  /** Shows a job a mutating call returned, and follows it from there. */
  const update = useCallback((j: MergeJob) => {
    setJob(j);
    active.current = isActiveMerge(j.state);
    setNonce((n) => n + 1);
  }, []);
  const reload = useCallback(() => setNonce((n) => n + 1), []);
  return { job, error, update, reload };
}

/** How far a merge is, 0–100, by bytes (else files). */
export function mergePercent(p: MergeProgress | undefined): number {
  if (!p) return 0;
  const r = p.bytes_total > 0 ? p.bytes_done / p.bytes_total : p.files_total > 0 ? p.files_done / p.files_total : 0;
  return Math.max(0, Math.min(100, r * 100));
}

function MergeProgressPanel({ job, i }: { job: MergeJob; i: I18n }) {
  const { t } = i;
  const p = job.progress;
  const percent = mergePercent(p);
  const indeterminate = job.state === 'queued' && percent === 0;
  return (
    <section
      className={`scan-panel merge-progress`}
      data-testid="merge-progress"
      data-files-done={p.files_done}
      data-files-total={p.files_total}
      data-bytes-done={p.bytes_done}
      data-bytes-total={p.bytes_total}
      data-percent={percent.toFixed(1)}
      aria-live="polite"
    >
      <div className="scan-head">
        <strong>{t('job.progress')}</strong>
        <MergeStateBadge state={job.state} testId="progress-state" />
        <span className="scan-percent">{`${i.decimal(percent, 0)}%`}</span>
      </div>
      <div
        className={`progress${indeterminate ? ' progress-indeterminate' : ''}`}
        role="progressbar"
        aria-label={t('job.progress')}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={indeterminate ? undefined : Math.round(percent)}
      >
        <div className="progress-fill" style={{ width: indeterminate ? undefined : `${percent}%` }} />
      </div>
      <div className="scan-details">
        <span data-testid="progress-files">
          {t('job.progressFiles', { done: i.count(p.files_done), total: i.count(p.files_total) })}
        </span>
        <span data-testid="progress-bytes">
          {t('job.progressBytes', { done: i.bytes(p.bytes_done), total: i.bytes(p.bytes_total) })}
        </span>
      </div>
    </section>
  );
}

function PlanTotals({ plan, i }: { plan: Plan; i: I18n }) {
  const { t } = i;
  const parts = plan.partitions ?? [];
  const eligible = parts.filter((p) => p.eligible).length;
  const pol = plan.policy;
  const sources = pol?.sources ?? [];
  return (
    <div className="stat-grid" data-testid="plan-totals">
      <div
        className="card stat-card tone-neutral"
        data-testid="plan-files"
        data-before={plan.files_before}
        data-after={plan.files_after}
      >
        <div className="stat-label">{t('job.filesBeforeAfter')}</div>
        <div className="stat-value">
          {i.count(plan.files_before)} → {i.count(plan.files_after)}
        </div>
        <div className="stat-detail">{t('job.eligibleCount', { eligible: i.count(eligible), total: i.count(parts.length) })}</div>
      </div>
      <div className="card stat-card" data-testid="plan-bytes" data-value={plan.bytes_to_rewrite}>
        <div className="stat-label">{t('job.bytesToRewrite')}</div>
        <div className="stat-value" title={String(plan.bytes_to_rewrite)}>
          {i.bytes(plan.bytes_to_rewrite)}
        </div>
      </div>
      <div className="card stat-card" data-testid="plan-estimate" data-value={plan.estimated_seconds}>
        <div className="stat-label">{t('job.estimate')}</div>
        <div className="stat-value">{i.duration(plan.estimated_seconds)}</div>
      </div>
      <div className="card stat-card" data-testid="plan-mode" data-value={plan.mode}>
        <div className="stat-label">{t('job.mode')}</div>
        <div className="stat-value">
          <ModeLabel mode={plan.mode} />
        </div>
        <div className="stat-detail">
          <FormatBadge format={plan.format} />
        </div>
      </div>
      <div className="card stat-card" data-testid="plan-policy" data-value={sources.join(',')}>
        <div className="stat-label">{t('job.policy')}</div>
        <div className="stat-value stat-value-small">{sources.length ? sources.join(' → ') : '—'}</div>
        {pol && (
          <div className="stat-detail">
            {t('job.policyDetail', {
              small: i.bytes(pol.small_file_size),
              target: i.bytes(pol.target_file_size),
              age: shortGoDuration(pol.min_age),
            })}
          </div>
        )}
      </div>
    </div>
  );
}

function GroupList({ groups, i }: { groups: MergeGroup[]; i: I18n }) {
  const { t } = i;
  return (
    <ul className="group-list" data-testid="plan-groups">
      {groups.map((g, n) => {
        const shown = g.inputs.slice(0, MAX_INPUTS_SHOWN);
        const more = g.inputs.length - shown.length;
        return (
          <li key={`${g.output}#${n}`} data-testid="plan-group" data-output={g.output} data-inputs={g.inputs.length}>
            <code className="group-output">{g.output}</code>
            <span className="group-arrow" aria-hidden="true">
              ←
            </span>
            <span className="group-inputs">
              {shown.map((f) => (
                <code key={f}>{f}</code>
              ))}
              {more > 0 && <span className="muted">{t('job.moreInputs', { count: i.count(more) })}</span>}
            </span>
            <span className="muted group-meta">
              {t('job.groupInputs', { count: i.count(g.inputs.length), bytes: i.bytes(g.bytes) })}
              {g.rows > 0 && ` · ${t('job.groupRows', { rows: i.count(g.rows) })}`}
              {g.bucket >= 0 && ` · ${t('job.bucket', { bucket: g.bucket })}`}
            </span>
          </li>
        );
      })}
    </ul>
  );
}

const PLAN_COLUMNS = 9;

function PlanRow({ p, i }: { p: PartitionPlan; i: I18n }) {
  const { t } = i;
  const [open, setOpen] = useState(false);
  const groups = p.groups ?? [];
  return (
    <Fragment>
      <tr data-testid="plan-partition" data-spec={p.partition} data-eligible={String(p.eligible)} className={open ? 'has-extra' : undefined}>
        <td className="name-cell">
          <span className="spec" title={p.location}>
            {p.partition || <em className="muted">{t('table.unpartitioned')}</em>}
          </span>
        </td>
        <td className="reason-cell" data-testid="plan-eligible">
          {p.eligible ? (
            <span className="pill pill-succeeded">{t('job.eligible')}</span>
          ) : (
            <span className="refusal" data-testid="plan-reason">
              {t('job.notEligible', { reason: p.reason || '—' })}
            </span>
          )}
        </td>
        <td className="reason-cell">
          <ModeLabel mode={p.mode} />
          {p.mode_reason && <div className="muted small">{p.mode_reason}</div>}
        </td>
        <td className="num" data-testid="plan-files-before" data-value={p.files_before}>
          {i.count(p.files_before)}
        </td>
        <td className="num" data-testid="plan-files-after" data-value={p.files_after}>
          {i.count(p.files_after)}
        </td>
        <td className="num" title={String(p.bytes_to_rewrite)}>
          {i.bytes(p.bytes_to_rewrite)}
        </td>
        <td className="num" data-testid="plan-score" data-value={p.score}>
          {p.eligible ? i.decimal(p.score, 2) : '—'}
        </td>
        <td className="num">{p.eligible ? i.duration(p.estimated_seconds) : '—'}</td>
        <td>
          {groups.length > 0 ? (
            <button
              type="button"
              className="btn btn-small btn-ghost"
              aria-expanded={open}
              onClick={() => setOpen((o) => !o)}
              data-testid="groups-toggle"
            >
              {open ? t('job.hideGroups') : t('job.showGroups', { count: i.count(groups.length) })}
            </button>
          ) : (
            <span className="muted">—</span>
          )}
        </td>
      </tr>
      {open && (
        <tr className="row-extra">
          <td colSpan={PLAN_COLUMNS}>
            <GroupList groups={groups} i={i} />
          </td>
        </tr>
      )}
    </Fragment>
  );
}

function PlanPartitions({ plan, i }: { plan: Plan; i: I18n }) {
  const { t } = i;
  const parts = plan.partitions ?? [];
  const [page, setPage] = useState({ offset: 0, limit: PLAN_PAGE });
  const shown = parts.slice(page.offset, page.offset + page.limit);
  return (
    <section className="card">
      <header className="card-head">
        <h2>{t('job.partitions')}</h2>
        <span className="muted" data-testid="plan-partitions-total" data-value={parts.length}>
          {i.count(parts.length)}
        </span>
      </header>
      <div className="table-wrap">
        <table className="data-table" data-testid="plan-table">
          <thead>
            <tr>
              <th scope="col">{t('col.partition')}</th>
              <th scope="col">{t('col.eligible')}</th>
              <th scope="col">{t('col.mode')}</th>
              <th scope="col" className="num">
                {t('col.filesBefore')}
              </th>
              <th scope="col" className="num">
                {t('col.filesAfter')}
              </th>
              <th scope="col" className="num">
                {t('col.bytesToRewrite')}
              </th>
              <th scope="col" className="num">
                {t('col.score')}
              </th>
              <th scope="col" className="num">
                {t('col.estimate')}
              </th>
              <th scope="col">{t('col.groups')}</th>
            </tr>
          </thead>
          <tbody>
            {shown.length === 0 && (
              <tr>
                <td className="table-empty" colSpan={PLAN_COLUMNS}>
                  {t('job.noPartitions')}
                </td>
              </tr>
            )}
            {shown.map((p, n) => (
              <PlanRow key={`${p.partition}#${page.offset + n}`} p={p} i={i} />
            ))}
          </tbody>
        </table>
      </div>
      {parts.length > PLAN_PAGE && (
        <Pager
          total={parts.length}
          limit={page.limit}
          offset={page.offset}
          testId="plan-pager"
          onChange={(offset, limit) => setPage({ offset, limit })}
        />
      )}
    </section>
  );
}

function ResultRow({ r, i }: { r: PartitionResult; i: I18n }) {
  const { t } = i;
  const seconds = secondsBetween(r.started_at, r.ended_at);
  const rowsDiffer = r.step === 'swapped' && r.rows_before !== r.rows_after;
  return (
    <tr data-testid="result-row" data-spec={r.partition} data-step={r.step}>
      <td className="name-cell">
        <span className="spec" title={r.location}>
          {r.partition || <em className="muted">{t('table.unpartitioned')}</em>}
        </span>
      </td>
      <td>
        <StepBadge step={r.step} />
      </td>
      <td className="num" data-testid="result-files" data-before={r.files_before} data-after={r.files_after}>
        {i.count(r.files_before)} → {i.count(r.files_after)}
      </td>
      <td className="num" data-testid="result-bytes" data-before={r.bytes_before} data-after={r.bytes_after}>
        {i.bytes(r.bytes_before)} → {i.bytes(r.bytes_after)}
      </td>
      <td className={`num${rowsDiffer ? ' text-bad' : ''}`} data-testid="result-rows" data-before={r.rows_before} data-after={r.rows_after}>
        {i.count(r.rows_before)} → {i.count(r.rows_after)}
      </td>
      <td className="num" data-testid="result-duration" data-value={seconds}>
        {seconds === undefined ? '—' : i.duration(seconds)}
      </td>
      <td className="wrap-cell" data-testid="result-outcome">
        {r.error ? (
          <span className="text-bad" data-testid="result-error">
            {r.error}
          </span>
        ) : (
          <span data-testid="result-validation">{r.validation || '—'}</span>
        )}
        {r.expires_at && r.step === 'swapped' && (
          <div className="muted small">{t('job.backupUntil', { at: i.dateTime(r.expires_at) })}</div>
        )}
      </td>
    </tr>
  );
}

function Results({ results, i }: { results: PartitionResult[]; i: I18n }) {
  const { t } = i;
  return (
    <section className="card" data-testid="merge-results">
      <header className="card-head">
        <h2>{t('job.results')}</h2>
      </header>
      <div className="table-wrap">
        <table className="data-table" data-testid="results-table">
          <thead>
            <tr>
              <th scope="col">{t('col.partition')}</th>
              <th scope="col">{t('col.step')}</th>
              <th scope="col" className="num">
                {t('col.files')}
              </th>
              <th scope="col" className="num">
                {t('col.bytes')}
              </th>
              <th scope="col" className="num">
                {t('col.rows')}
              </th>
              <th scope="col" className="num">
                {t('col.duration')}
              </th>
              <th scope="col">{t('col.validation')}</th>
            </tr>
          </thead>
          <tbody>
            {results.map((r) => (
              <ResultRow key={r.index} r={r} i={i} />
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** Whether err is the server refusing a rollback (409). */
function isRefusal(err: unknown): err is ApiError {
  return err instanceof ApiError && (err.status === 409 || err.code === 'conflict');
}

/**
 * One merge job: its plan (totals, partitions with their eligibility, mode
 * and groups), the Merge button with a confirmation, live progress while it
 * runs, and per-partition results with a rollback once it finished.
 */
export function MergeJobPage({ id, pollMs = MERGE_POLL_MS }: { id: number; pollMs?: number }) {
  const i = useI18n();
  const { t } = i;
  const { job, error, update, reload } = useMergeJob(id, pollMs);
  const { catalogs } = useCatalogs();
  const [confirm, setConfirm] = useState<'run' | 'rollback' | undefined>();
  const [lastAction, setLastAction] = useState<'run' | 'cancel' | 'rollback'>();

  const act = useAction(async (what: 'run' | 'cancel' | 'rollback') => {
    const j =
      what === 'run' ? await api.runMerge(id) : what === 'cancel' ? await api.cancelMerge(id) : await api.rollbackMerge(id);
    update(j);
    return j;
  });
  const doAction = async (what: 'run' | 'cancel' | 'rollback') => {
    setLastAction(what);
    const out = await act.run(what);
    setConfirm(undefined);
    // The job changed under us (409): show its current state.
    if (!out.ok && isRefusal(out.error)) reload();
  };
  const closeConfirm = () => setConfirm(undefined);

  if (!job) {
    return (
      <div className="page" data-testid="merge-page" data-job-id={id}>
        <ErrorBanner error={error} onRetry={reload} />
        {!error && <div className="loading">{t('common.loading')}</div>}
      </div>
    );
  }

  const plan = job.plan;
  const table = `${job.database}.${job.table}`;
  const runnable = job.state === 'planned' && isRunnable(plan);
  const active = isActiveMerge(job.state);
  const rollbackable = canRollBack(job);
  const results = job.results ?? [];
  const parts = plan?.partitions ?? [];
  const refused = lastAction === 'rollback' && isRefusal(act.error);
  const several = (catalogs?.length ?? 0) > 1;

  return (
    <div className="page" data-testid="merge-page" data-job-id={job.id} data-state={job.state}>
      <div className="page-head">
        <nav className="breadcrumb">
          <Link href="/merges">{t('job.back')}</Link>
        </nav>
        <div className="page-title-row">
          <h1>{t('job.title', { id: job.id })}</h1>
          <MergeStateBadge state={job.state} />
          <span className="spacer" />
          {runnable && (
            <button
              type="button"
              className="btn btn-primary"
              onClick={() => setConfirm('run')}
              disabled={act.busy}
              data-testid="merge-run"
            >
              {act.busy && lastAction === 'run' ? t('job.starting') : t('job.merge')}
            </button>
          )}
          {active && (
            <button
              type="button"
              className="btn"
              onClick={() => void doAction('cancel')}
              disabled={act.busy}
              data-testid="merge-cancel"
            >
              {act.busy && lastAction === 'cancel' ? t('job.cancelling') : t('job.cancel')}
            </button>
          )}
          {rollbackable && (
            <button
              type="button"
              className="btn btn-danger-outline"
              onClick={() => setConfirm('rollback')}
              disabled={act.busy}
              data-testid="merge-rollback"
            >
              {act.busy && lastAction === 'rollback' ? t('job.rollingBack') : t('job.rollback')}
            </button>
          )}
        </div>
        <p className="page-sub">
          <Link
            href={tableHref(job.database, job.table, knownCatalog(catalogs, job.catalog))}
            className="table-link"
            data-testid="merge-table"
          >
            <span className="db-name">{job.database}.</span>
            <span className="tbl-name">{job.table}</span>
          </Link>
          {several && job.catalog && (
            <>
              <span className="sep">·</span>
              <span data-testid="merge-catalog" data-catalog={job.catalog}>
                <span className="muted">{t('catalog.label')}:</span> <code>{job.catalog}</code>
              </span>
            </>
          )}
          <span className="sep">·</span>
          <span>{t('job.createdBy', { who: job.created_by || '—', at: i.dateTime(job.created_at) })}</span>
          {job.started_at && (
            <>
              <span className="sep">·</span>
              <span>{t('job.startedAt', { at: i.dateTime(job.started_at) })}</span>
            </>
          )}
          {job.finished_at && (
            <>
              <span className="sep">·</span>
              <span>{t('job.finishedAt', { at: i.dateTime(job.finished_at) })}</span>
            </>
          )}
        </p>
      </div>

      <ErrorBanner error={error} onRetry={reload} />
      {refused ? (
        <div className="banner banner-error" role="alert" data-testid="rollback-refused">
          <span className="banner-icon" aria-hidden="true">
            !
          </span>
          <div className="banner-body">
            <strong>{t('job.rollbackRefused')}</strong>
            <span className="banner-message">{errorMessage(act.error)}</span>
          </div>
          <button type="button" className="btn btn-small" onClick={act.clear}>
            {t('common.dismiss')}
          </button>
        </div>
      ) : (
        <ErrorBanner error={act.error} />
      )}
      {job.error && (
        <div className="banner banner-error" role="alert" data-testid="job-error">
          <span className="banner-icon" aria-hidden="true">
            !
          </span>
          <div className="banner-body">
            <span className="banner-message">{t('job.error', { message: job.error })}</span>
          </div>
        </div>
      )}

      {active && <MergeProgressPanel job={job} i={i} />}

      {plan && <PlanTotals plan={plan} i={i} />}
      {plan && !plan.eligible && (
        <div className="banner banner-warn" data-testid="plan-refused">
          <span className="banner-icon" aria-hidden="true">
            !
          </span>
          <div className="banner-body">{t('job.refused', { reason: plan.reason || '—' })}</div>
        </div>
      )}
      {plan && plan.eligible && job.state === 'planned' && !runnable && (
        <div className="banner banner-warn" data-testid="plan-nothing">
          <span className="banner-icon" aria-hidden="true">
            !
          </span>
          <div className="banner-body">{t('job.nothingToMerge')}</div>
        </div>
      )}

      {results.length > 0 && <Results results={results} i={i} />}
      {plan && <PlanPartitions plan={plan} i={i} />}

      <ConfirmDialog
        open={confirm === 'run'}
        title={t('job.confirmMergeTitle')}
        confirmLabel={t('job.merge')}
        busy={act.busy}
        onConfirm={() => void doAction('run')}
        onCancel={closeConfirm}
        testId="confirm-merge"
      >
        {t('job.confirmMerge', {
          files: i.count(plan?.files_before ?? 0),
          after: i.count(plan?.files_after ?? 0),
          table,
        })}
        <div className="muted small">
          {t('job.confirmMergeDetail', {
            partitions: i.count(parts.filter((p) => p.eligible).length),
            bytes: i.bytes(plan?.bytes_to_rewrite ?? 0),
          })}
        </div>
      </ConfirmDialog>
      <ConfirmDialog
        open={confirm === 'rollback'}
        title={t('job.confirmRollbackTitle')}
        confirmLabel={t('job.rollback')}
        danger
        busy={act.busy}
        onConfirm={() => void doAction('rollback')}
        onCancel={closeConfirm}
        testId="confirm-rollback"
      >
        {t('job.confirmRollback', { id: job.id, table })}
      </ConfirmDialog>
    </div>
  );
}
