// The charts load on demand, in their own chunk, so the tables and cards
// render before ECharts has been fetched.
import { lazy, Suspense, type ComponentProps } from 'react';

const Histogram = lazy(() => import('./HistogramChart'));
const Trend = lazy(() => import('./TrendChart'));

function Placeholder({ height }: { height: number }) {
  return <div className="chart chart-placeholder" style={{ height }} />;
}

export function HistogramChart(props: ComponentProps<typeof Histogram>) {
  return (
    <Suspense fallback={<Placeholder height={props.height ?? 280} />}>
      <Histogram {...props} />
    </Suspense>
  );
}

export function TrendChart(props: ComponentProps<typeof Trend>) {
  return (
    <Suspense fallback={<Placeholder height={props.height ?? 280} />}>
      <Trend {...props} />
    </Suspense>
  );
}
