import { useMemo } from 'react';
import { BUCKET_LABELS, bucketClass, normalizeHistogram, thresholdPosition } from '../histogram';
import { useI18n } from '../i18n';
import { EChart } from './EChart';
import type { ChartOption } from './echarts';
import { COLORS, FONT } from './theme';

export interface HistogramChartProps {
  histogram: readonly number[];
  /** thresholds.small_file_bytes of the snapshot; marked on the chart. */
  threshold?: number;
  height?: number;
}

/** The 24 log2 size buckets as bars, small buckets in red, the threshold as a line. */
export default function HistogramChart({ histogram, threshold, height = 280 }: HistogramChartProps) {
  const i = useI18n();
  const option = useMemo<ChartOption>(() => {
    const counts = normalizeHistogram(histogram);
    const total = counts.reduce((a, b) => a + b, 0);
    const colorOf = (b: number) => {
      if (threshold === undefined) return COLORS.large;
      const c = bucketClass(b, threshold);
      return c === 'small' ? COLORS.small : c === 'partial' ? COLORS.partial : COLORS.large;
    };
    return {
      animationDuration: 300,
      textStyle: { fontFamily: FONT },
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      tooltip: {
        trigger: 'axis',
        axisPointer: { type: 'shadow' },
        valueFormatter: (v) => {
          const n = Number(v);
          return `${i.count(n)} (${i.ratio(total ? n / total : 0)})`;
        },
      },
      xAxis: {
        type: 'category',
        data: [...BUCKET_LABELS],
        axisLabel: { rotate: 45, fontSize: 10, color: COLORS.axis, interval: 0 },
        axisTick: { alignWithLabel: true },
        axisLine: { lineStyle: { color: COLORS.grid } },
      },
      yAxis: {
        type: 'value',
        axisLabel: { color: COLORS.axis, formatter: (v: number) => i.compact(v) },
        splitLine: { lineStyle: { color: COLORS.grid } },
      },
      series: [
        {
          type: 'bar',
          name: i.t('chart.files'),
          barCategoryGap: '18%',
          data: counts.map((v, b) => ({ value: v, itemStyle: { color: colorOf(b), borderRadius: [3, 3, 0, 0] } })),
          markLine:
            threshold === undefined
              ? undefined
              : {
                  silent: true,
                  symbol: ['none', 'none'],
                  lineStyle: { color: COLORS.small, type: 'dashed', width: 1.5 },
                  label: {
                    formatter: i.t('chart.threshold', { size: i.bytes(threshold) }),
                    position: 'end',
                    color: COLORS.small,
                    fontWeight: 600,
                    fontSize: 11,
                  },
                  data: [{ xAxis: thresholdPosition(threshold) }],
                },
        },
      ],
    };
  }, [histogram, threshold, i]);
  return <EChart option={option} height={height} testId="histogram-chart" ariaLabel={i.t('chart.histogram')} />;
}
