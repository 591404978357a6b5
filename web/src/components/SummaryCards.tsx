import type { ReactNode } from 'react';
import type { Scan, Totals } from '../api';
import { ratioSeverity } from '../format';
import { useI18n } from '../i18n';

interface CardProps {
  testId: string;
  label: string;
  value: string;
  exact: number;
  detail?: ReactNode;
  tone?: 'ok' | 'warn' | 'bad' | 'neutral';
}

function Card({ testId, label, value, exact, detail, tone = 'neutral' }: CardProps) {
  return (
    <div className={`card stat-card tone-${tone}`} data-testid={testId} data-value={exact}>
      <div className="stat-label">{label}</div>
      <div className="stat-value" title={String(exact)}>
        {value}
      </div>
      {detail && <div className="stat-detail">{detail}</div>}
    </div>
  );
}

/** The warehouse totals of a snapshot. data-value holds each exact figure. */
export function SummaryCards({ totals, snapshot }: { totals: Totals; snapshot: Scan }) {
  const i = useI18n();
  const { t } = i;
  const severity = ratioSeverity(totals.small_ratio);
  return (
    <div className="stat-grid">
      <Card
        testId="summary-files"
        label={t('summary.files')}
        value={i.count(totals.files)}
        exact={totals.files}
        detail={
          <>
            {t('summary.filesDetail', {
              partitions: i.count(totals.partitions),
              tables: i.count(totals.tables),
            })}
            <span hidden data-testid="summary-tables" data-value={totals.tables} />
            <span hidden data-testid="summary-partitions" data-value={totals.partitions} />
          </>
        }
      />
      <Card
        testId="summary-small-files"
        label={t('summary.smallFiles')}
        value={i.count(totals.small_files)}
        exact={totals.small_files}
        tone={severity}
        detail={t('summary.smallDetail', { threshold: i.bytes(snapshot.thresholds.small_file_bytes) })}
      />
      <Card
        testId="summary-small-ratio"
        label={t('summary.smallRatio')}
        value={i.ratio(totals.small_ratio)}
        exact={totals.small_ratio}
        tone={severity}
        detail={t('summary.ratioDetail', { reducible: i.count(totals.reducible_files) })}
      />
      <Card
        testId="summary-bytes"
        label={t('summary.bytes')}
        value={i.bytes(totals.bytes)}
        exact={totals.bytes}
        detail={t('summary.bytesDetail', { blocks: i.count(totals.blocks) })}
      />
      <Card
        testId="summary-heap"
        label={t('summary.heap')}
        value={i.bytes(totals.namenode_heap_bytes)}
        exact={totals.namenode_heap_bytes}
        detail={t('summary.heapDetail')}
      />
    </div>
  );
}
