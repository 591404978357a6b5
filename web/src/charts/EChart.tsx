import { useEffect, useRef } from 'react';
import { echarts, type ChartOption } from './echarts';

export interface EChartProps {
  option: ChartOption;
  height: number;
  testId?: string;
  ariaLabel?: string;
}

/** One ECharts instance bound to a div; resizes with its container. */
export function EChart({ option, height, testId, ariaLabel }: EChartProps) {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | undefined>(undefined);

  useEffect(() => {
    const node = el.current;
    if (!node) return;
    const c = echarts.init(node, undefined, { renderer: 'canvas' });
    chart.current = c;
    const ro = typeof ResizeObserver === 'function' ? new ResizeObserver(() => c.resize()) : undefined;
    ro?.observe(node);
    return () => {
      ro?.disconnect();
      c.dispose();
      chart.current = undefined;
    };
  }, []);

  useEffect(() => {
    chart.current?.setOption(option, { notMerge: true });
  }, [option]);

  return <div ref={el} className="chart" style={{ height }} data-testid={testId} role="img" aria-label={ariaLabel} />;
}
