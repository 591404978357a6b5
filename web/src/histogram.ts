// The fixed log2 size histogram of the API (schema Histogram): bucket 0
// holds files under 1 KiB; bucket i (1–22) holds sizes in [2^(9+i), 2^(10+i));
// bucket 23 holds files of 4 GiB and more. Mirrors shoal.HistogramBucket.

export const HISTOGRAM_BUCKETS = 24;

const KiB = 1024;

/** The inclusive lower and exclusive upper size of bucket i; upper is null for the last bucket. */
export function bucketBounds(i: number): [number, number | null] {
  if (i <= 0) return [0, KiB];
  if (i >= HISTOGRAM_BUCKETS - 1) return [2 ** (9 + HISTOGRAM_BUCKETS - 1), null];
  return [2 ** (9 + i), 2 ** (10 + i)];
}

/** The bucket index of a file size. */
export function bucketOf(size: number): number {
  if (size < KiB) return 0;
  const b = Math.floor(Math.log2(size)) - 9;
  // Math.log2 is exact for powers of two; guard the float edge below them.
  const fixed = 2 ** (9 + b) > size ? b - 1 : b;
  return Math.min(fixed, HISTOGRAM_BUCKETS - 1);
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** A power-of-two size as number and unit: 512 → [512, "B"], 2^20 → [1, "MiB"]. */
function pow2Size(n: number): [number, string] {
  let u = 0;
  while (n >= 1024 && u < UNITS.length - 1) {
    n /= 1024;
    u++;
  }
  return [n, UNITS[u] ?? 'B'];
}

/** The label of bucket i: "<1 KiB", "1–2 KiB", "512 KiB–1 MiB", "2–4 GiB", "≥4 GiB". */
export function bucketLabel(i: number): string {
  const [lo, hi] = bucketBounds(i);
  if (i <= 0) return '<1 KiB';
  if (hi === null) {
    const [n, u] = pow2Size(lo);
    return `≥${n} ${u}`;
  }
  const [ln, lu] = pow2Size(lo);
  const [hn, hu] = pow2Size(hi);
  return lu === hu ? `${ln}–${hn} ${hu}` : `${ln} ${lu}–${hn} ${hu}`;
}

/** All 24 bucket labels. */
export const BUCKET_LABELS: readonly string[] = Array.from({ length: HISTOGRAM_BUCKETS }, (_, i) =>
  bucketLabel(i),
);

/**
 * Where a size threshold falls on the category axis of the 24 buckets, as a
 * fractional bucket index: a threshold at a bucket's lower bound sits on the
 * boundary before it (b − 0.5); others are placed within their bucket on the
 * log scale.
 */
export function thresholdPosition(threshold: number): number {
  if (!(threshold > 0)) return -0.5;
  const b = bucketOf(threshold);
  if (b === 0) return -0.5 + threshold / KiB;
  const [lo, hi] = bucketBounds(b);
  if (hi === null) return b - 0.5;
  return b - 0.5 + Math.log2(threshold / lo);
}

export type BucketClass = 'small' | 'partial' | 'large';

/** Whether the files of bucket i are all small, some small, or none small under the threshold. */
export function bucketClass(i: number, threshold: number): BucketClass {
  const [lo, hi] = bucketBounds(i);
  if (hi !== null && hi <= threshold) return 'small';
  if (lo < threshold) return 'partial';
  return 'large';
}

/** A histogram with exactly 24 counts (missing counts are 0). */
export function normalizeHistogram(h: readonly number[] | null | undefined): number[] {
  return Array.from({ length: HISTOGRAM_BUCKETS }, (_, i) => h?.[i] ?? 0);
}
