import { useMemo } from 'react';
import type { TrendPoint } from '../api';
import { useI18n } from '../i18n';
import { EChart } from './EChart';
import type { ChartOption } from './echarts';
import { COLORS, FONT } from './theme';

export interface TrendChartProps {
  points: readonly TrendPoint[];
  height?: number;
}

/** Files and small files per snapshot, oldest first. */
export default function TrendChart({ points, height = 280 }: TrendChartProps) {
  const i = useI18n();
  const option = useMemo<ChartOption>(() => {
    const single = points.length === 1;
    return {
      animationDuration: 300,
      textStyle: { fontFamily: FONT },
      color: [COLORS.primary, COLORS.small],
      grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
      tooltip: { trigger: 'axis', valueFormatter: (v) => i.count(Number(v)) },
      xAxis: {
        type: 'category',
        boundaryGap: single,
        data: points.map((p) => `#${p.scan_id}  ${i.shortDateTime(p.at)}`),
        axisLabel: { color: COLORS.axis, fontSize: 10, hideOverlap: true },
        axisLine: { lineStyle: { color: COLORS.grid } },
      },
      yAxis: {
        type: 'value',
        axisLabel: { color: COLORS.axis, formatter: (v: number) => i.compact(v) },
        splitLine: { lineStyle: { color: COLORS.grid } },
      },
      series: [
        {
          type: 'line',
          name: i.t('chart.files'),
          data: points.map((p) => p.files),
          symbolSize: single ? 8 : 5,
          lineStyle: { width: 2 },
        },
        {
          type: 'line',
          name: i.t('chart.smallFiles'),
          data: points.map((p) => p.small_files),
          symbolSize: single ? 8 : 5,
          lineStyle: { width: 2 },
          areaStyle: { opacity: 0.08 },
        },
      ],
    };
  }, [points, i]);
  return (
    <div className="chart-with-legend">
      <div className="legend" aria-hidden="true">
        <span>
          <i style={{ background: COLORS.primary }} />
          {i.t('chart.files')}
        </span>
        <span>
          <i style={{ background: COLORS.small }} />
          {i.t('chart.smallFiles')}
        </span>
      </div>
      <EChart option={option} height={height - 24} testId="trend-chart" ariaLabel={i.t('chart.trend')} />
    </div>
  );
}
