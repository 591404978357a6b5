import { describe, expect, it } from 'vitest';
import {
  BUCKET_LABELS,
  bucketBounds,
  bucketClass,
  bucketLabel,
  bucketOf,
  HISTOGRAM_BUCKETS,
  normalizeHistogram,
  thresholdPosition,
} from './histogram';

const KiB = 1024;
const MiB = KiB * 1024;
const GiB = MiB * 1024;

describe('bucket labels', () => {
  it('has 24 buckets with the documented ranges', () => {
    expect(HISTOGRAM_BUCKETS).toBe(24);
    expect(BUCKET_LABELS).toHaveLength(24);
    expect(bucketLabel(0)).toBe('<1 KiB');
    expect(bucketLabel(1)).toBe('1–2 KiB');
    expect(bucketLabel(2)).toBe('2–4 KiB');
    expect(bucketLabel(10)).toBe('512 KiB–1 MiB');
    expect(bucketLabel(11)).toBe('1–2 MiB');
    expect(bucketLabel(15)).toBe('16–32 MiB');
    expect(bucketLabel(20)).toBe('512 MiB–1 GiB');
    expect(bucketLabel(22)).toBe('2–4 GiB');
    expect(bucketLabel(23)).toBe('≥4 GiB');
  });

  it('labels are distinct', () => {
    expect(new Set(BUCKET_LABELS).size).toBe(24);
  });
});

describe('bucketBounds and bucketOf', () => {
  it('matches bucket i = [2^(9+i), 2^(10+i))', () => {
    expect(bucketBounds(0)).toEqual([0, KiB]);
    expect(bucketBounds(1)).toEqual([KiB, 2 * KiB]);
    expect(bucketBounds(22)).toEqual([2 * GiB, 4 * GiB]);
    expect(bucketBounds(23)).toEqual([4 * GiB, null]);
  });

  it('puts sizes in the bucket shoal.HistogramBucket does', () => {
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(1023)).toBe(0);
    expect(bucketOf(1024)).toBe(1);
    expect(bucketOf(2047)).toBe(1);
    expect(bucketOf(2048)).toBe(2);
    expect(bucketOf(16 * MiB - 1)).toBe(14);
    expect(bucketOf(16 * MiB)).toBe(15);
    expect(bucketOf(4 * GiB - 1)).toBe(22);
    expect(bucketOf(4 * GiB)).toBe(23);
    expect(bucketOf(2 ** 50)).toBe(23);
  });

  it('every bucket lower bound falls in its own bucket', () => {
    for (let i = 1; i < 24; i++) {
      const [lo, hi] = bucketBounds(i);
      expect(bucketOf(lo)).toBe(i);
      if (hi !== null) expect(bucketOf(hi - 1)).toBe(i);
    }
  });
});

describe('threshold marking', () => {
  it('places a power-of-two threshold on the bucket boundary', () => {
    // 16 MiB is the lower bound of bucket 15: between bars 14 and 15.
    expect(thresholdPosition(16 * MiB)).toBe(14.5);
    expect(thresholdPosition(KiB)).toBe(0.5);
  });

  it('places other thresholds inside their bucket on the log scale', () => {
    const p = thresholdPosition(24 * MiB);
    expect(p).toBeGreaterThan(14.5);
    expect(p).toBeLessThan(15.5);
    expect(p).toBeCloseTo(14.5 + Math.log2(1.5), 10);
  });

  it('classifies buckets against the threshold', () => {
    const th = 16 * MiB;
    expect(bucketClass(0, th)).toBe('small');
    expect(bucketClass(14, th)).toBe('small');
    expect(bucketClass(15, th)).toBe('large');
    expect(bucketClass(23, th)).toBe('large');
    expect(bucketClass(15, 24 * MiB)).toBe('partial');
  });
});

describe('normalizeHistogram', () => {
  it('pads or cuts to 24 counts', () => {
    expect(normalizeHistogram(undefined)).toEqual(new Array(24).fill(0));
    expect(normalizeHistogram([1, 2])).toHaveLength(24);
    expect(normalizeHistogram([1, 2])[1]).toBe(2);
    expect(normalizeHistogram(new Array(30).fill(1))).toHaveLength(24);
  });
});
