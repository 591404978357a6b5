import { isFinalState, type Scan } from '../api';
import { useI18n } from '../i18n';
import type { Message } from '../scan';

export interface ScanProgressProps {
  scan: Scan | undefined;
  error?: Message;
  notice?: Message;
  onCancel?: () => void;
  onDismiss?: () => void;
}

/** How far a scan is, 0–100; a final succeeded scan is 100. */
export function scanPercent(scan: Scan): number {
  if (scan.state === 'succeeded') return 100;
  const p = scan.progress?.percent;
  if (typeof p === 'number' && Number.isFinite(p)) return Math.max(0, Math.min(100, p));
  const { partitions_done: done, partitions_total: total } = scan.progress ?? {};
  return total ? Math.max(0, Math.min(100, (100 * (done ?? 0)) / total)) : 0;
}

/** The live progress of the followed scan, and its outcome once it ends. */
export function ScanProgress({ scan, error, notice, onCancel, onDismiss }: ScanProgressProps) {
  const i = useI18n();
  const { t } = i;
  if (!scan && !error) return null;
  if (!scan) {
    return (
      <section className="scan-panel scan-failed" data-testid="scan-progress" data-state="error">
        <div className="scan-head">
          <span className="scan-error" role="alert">{error && t(error.key, error.vars)}</span>
          {onDismiss && (
            <button type="button" className="btn btn-small btn-ghost" onClick={onDismiss}>
              {t('common.dismiss')}
            </button>
          )}
        </div>
      </section>
    );
  }
  const p = scan.progress;
  const final = isFinalState(scan.state);
  const percent = scanPercent(scan);
  const indeterminate = !final && (!p.total_known || scan.state === 'queued') && percent === 0;
  const details: string[] = [];
  if (p.total_known) {
    details.push(t('scan.partitions', { done: i.count(p.partitions_done), total: i.count(p.partitions_total) }));
  } else if (!final) {
    details.push(t('scan.partitionsOpen', { done: i.count(p.partitions_done) }));
  }
  if (p.tables_total > 0) details.push(t('scan.tables', { done: i.count(p.tables_done), total: i.count(p.tables_total) }));
  details.push(t('scan.files', { files: i.count(p.files), bytes: i.bytes(p.bytes) }));
  if (!final && p.rate > 0) details.push(t('scan.rate', { rate: i.decimal(p.rate, 1) }));
  if (!final && typeof p.eta_seconds === 'number') details.push(t('scan.eta', { eta: i.duration(p.eta_seconds) }));
  if (final) details.push(t('scan.tookTime', { duration: i.duration(scan.duration_seconds) }));
  const stateLabel = t(`scan.state.${scan.state}` as const);
  return (
    <section
      className={`scan-panel scan-${scan.state}`}
      data-testid="scan-progress"
      data-state={scan.state}
      data-scan-id={scan.id}
      data-percent={percent.toFixed(1)}
      aria-live="polite"
    >
      <div className="scan-head">
        <strong>{t('scan.title', { id: scan.id })}</strong>
        <span className={`pill pill-${scan.state}`} data-testid="scan-state">
          {stateLabel}
        </span>
        <span className="scan-percent">{final && scan.state !== 'succeeded' ? '' : `${i.decimal(percent, 0)}%`}</span>
        <span className="spacer" />
        {!final && onCancel && (
          <button type="button" className="btn btn-small btn-ghost" onClick={onCancel}>
            {t('scan.cancel')}
          </button>
        )}
        {final && onDismiss && (
          <button type="button" className="btn btn-small btn-ghost" onClick={onDismiss}>
            {t('common.dismiss')}
          </button>
        )}
      </div>
      <div
        className={`progress${indeterminate ? ' progress-indeterminate' : ''}`}
        role="progressbar"
        aria-label={t('scan.title', { id: scan.id })}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={indeterminate ? undefined : Math.round(percent)}
      >
        <div className="progress-fill" style={{ width: indeterminate ? undefined : `${percent}%` }} />
      </div>
      <div className="scan-details">
        {details.map((d) => (
          <span key={d}>{d}</span>
        ))}
        {p.errors > 0 && <span className="text-bad">{t('scan.errors', { count: i.count(p.errors) })}</span>}
      </div>
      {scan.state === 'failed' && (
        <div className="scan-error" role="alert" data-testid="scan-error">
          {t('scan.failed', { message: scan.error || t('scan.state.failed') })}
        </div>
      )}
      {error && !(scan.state === 'failed' && error.key === 'scan.failed') && (
        <div className="scan-error" role="alert">
          {t(error.key, error.vars)}
        </div>
      )}
      {notice && !final && <div className="scan-notice">{t(notice.key, notice.vars)}</div>}
    </section>
  );
}
