import type { Trend } from '../api';
import { TrendChart } from '../charts/lazy';
import type { ApiState } from '../hooks';
import { useI18n } from '../i18n';
import { ErrorBanner } from './ErrorBanner';

/** A card with the trend chart of the warehouse or of one table. */
export function TrendCard({ title, trend }: { title: string; trend: ApiState<Trend> }) {
  const { t } = useI18n();
  return (
    <section className="card">
      <header className="card-head">
        <h2>{title}</h2>
      </header>
      <ErrorBanner error={trend.error} onRetry={trend.reload} />
      {trend.data &&
        (trend.data.items.length > 0 ? (
          <TrendChart points={trend.data.items} />
        ) : (
          <div className="chart-empty">{t('chart.trendEmpty')}</div>
        ))}
    </section>
  );
}
