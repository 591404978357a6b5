// Number, byte, ratio, duration and date formatting, following the UI
// language. Formatters are cached per locale and options.

export type Lang = 'en' | 'zh';

export const LOCALES: Record<Lang, string> = { en: 'en-US', zh: 'zh-CN' };

const DASH = '—';

const numberFormats = new Map<string, Intl.NumberFormat>();

function nf(lang: Lang, opts: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = lang + JSON.stringify(opts);
  let f = numberFormats.get(key);
  if (!f) {
    f = new Intl.NumberFormat(LOCALES[lang], opts);
    numberFormats.set(key, f);
  }
  return f;
}

function bad(n: unknown): boolean {
  return typeof n !== 'number' || !Number.isFinite(n);
}

/** An exact integer with the language's digit grouping: 1,234,567. */
export function formatCount(n: number, lang: Lang = 'en'): string {
  if (bad(n)) return DASH;
  return nf(lang, { maximumFractionDigits: 0 }).format(Math.round(n));
}

/** A short count for tight spaces: 1.2M (en), 123万 (zh). */
export function formatCompact(n: number, lang: Lang = 'en'): string {
  if (bad(n)) return DASH;
  return nf(lang, { notation: 'compact', maximumFractionDigits: 1 }).format(n);
}

/** A decimal number with at most `digits` fraction digits. */
export function formatDecimal(n: number, lang: Lang = 'en', digits = 1): string {
  if (bad(n)) return DASH;
  return nf(lang, { maximumFractionDigits: digits }).format(n);
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'] as const;

/**
 * A byte size in binary units with three significant digits: 512 B,
 * 1.5 KiB, 12.3 MiB, 456 GiB.
 */
export function formatBytes(bytes: number, lang: Lang = 'en'): string {
  if (bad(bytes)) return DASH;
  const sign = bytes < 0 ? '-' : '';
  let v = Math.abs(bytes);
  let u = 0;
  while (v >= 1024 && u < BYTE_UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  if (u === 0) return `${sign}${formatCount(v, lang)} B`;
  let digits = v < 10 ? 2 : v < 100 ? 1 : 0;
  // 1023.7 KiB would print as "1,024 KiB": carry into the next unit.
  if (Number(v.toFixed(digits)) >= 1024 && u < BYTE_UNITS.length - 1) {
    v /= 1024;
    u++;
    digits = 2;
  }
  return `${sign}${nf(lang, { maximumFractionDigits: digits }).format(v)} ${BYTE_UNITS[u]}`;
}

/** A ratio in [0, 1] as a percentage with one decimal: 12.3%; tiny non-zero ratios as <0.1%. */
export function formatRatio(r: number, lang: Lang = 'en'): string {
  if (bad(r)) return DASH;
  const f = nf(lang, { style: 'percent', maximumFractionDigits: 1 });
  if (r > 0 && r < 0.001) return `<${f.format(0.001)}`;
  return f.format(r);
}

const DURATION_UNITS: Record<Lang, { ms: string; s: string; m: string; h: string; d: string; sep: string }> = {
  en: { ms: ' ms', s: 's', m: 'm', h: 'h', d: 'd', sep: ' ' },
  zh: { ms: ' 毫秒', s: '秒', m: '分', h: '小时', d: '天', sep: '' },
};

/** A duration in seconds: 850 ms, 4.2s, 12s, 3m 05s, 1h 02m, 2d 3h (en); 4.2秒, 3分05秒 (zh). */
export function formatDuration(seconds: number, lang: Lang = 'en'): string {
  if (bad(seconds) || seconds < 0) return DASH;
  const u = DURATION_UNITS[lang];
  if (seconds < 1) return `${formatCount(seconds * 1000, lang)}${u.ms}`;
  if (seconds < 10) {
    const v = Math.floor(seconds * 10) / 10;
    return `${nf(lang, { maximumFractionDigits: 1 }).format(v)}${u.s}`;
  }
  const total = Math.floor(seconds);
  if (total < 60) return `${total}${u.s}`;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (total < 3600) {
    return `${Math.floor(total / 60)}${u.m}${u.sep}${pad(total % 60)}${u.s}`;
  }
  if (total < 86400) {
    return `${Math.floor(total / 3600)}${u.h}${u.sep}${pad(Math.floor((total % 3600) / 60))}${u.m}`;
  }
  return `${Math.floor(total / 86400)}${u.d}${u.sep}${Math.floor((total % 86400) / 3600)}${u.h}`;
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();

function df(lang: Lang, opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = lang + JSON.stringify(opts);
  let f = dateFormats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(LOCALES[lang], opts);
    dateFormats.set(key, f);
  }
  return f;
}

function parseDate(iso: string | undefined | null): Date | undefined {
  if (!iso) return undefined;
  const d = new Date(iso);
  // Go's zero time (0001-01-01) means "never".
  if (Number.isNaN(d.getTime()) || d.getUTCFullYear() <= 1) return undefined;
  return d;
}

/** A date and time in the browser's time zone, e.g. "Nov 21, 2026, 10:48 PM". */
export function formatDateTime(iso: string | undefined | null, lang: Lang = 'en'): string {
  const d = parseDate(iso);
  if (!d) return DASH;
  return df(lang, { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

/** A short date and time for chart axes, e.g. "11/21 22:48". */
export function formatShortDateTime(iso: string | undefined | null, lang: Lang = 'en'): string {
  const d = parseDate(iso);
  if (!d) return DASH;
  return df(lang, { month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false }).format(d);
}

/** How small files weigh: ok under 20%, warn under 50%, bad from 50% on. */
export type Severity = 'ok' | 'warn' | 'bad';

export function ratioSeverity(r: number): Severity {
  if (!(r >= 0.2)) return 'ok';
  return r >= 0.5 ? 'bad' : 'warn';
}

// ---- Sizes and durations typed by the user --------------------------------

const SIZE_UNITS: [suffix: string, mult: number][] = [
  ['kib', 2 ** 10],
  ['mib', 2 ** 20],
  ['gib', 2 ** 30],
  ['tib', 2 ** 40],
  ['kb', 1e3],
  ['mb', 1e6],
  ['gb', 1e9],
  ['tb', 1e12],
  ['k', 2 ** 10],
  ['m', 2 ** 20],
  ['g', 2 ** 30],
  ['t', 2 ** 40],
  ['b', 1],
];

/**
 * Parses a byte size as the server's configuration does (config.ParseSize):
 * a plain number of bytes, or a number with a unit, 512KiB, 16MiB, 1GiB
 * (powers of 1024; K, M, G and T alone too) or 16MB, 1GB (powers of 1000).
 * Units are case-insensitive and may follow a space. Returns undefined for
 * anything else, including negative sizes.
 */
export function parseSize(input: string): number | undefined {
  let t = input.trim();
  let mult = 1;
  const low = t.toLowerCase();
  for (const [suffix, m] of SIZE_UNITS) {
    if (low.endsWith(suffix)) {
      t = t.slice(0, t.length - suffix.length).trim();
      mult = m;
      break;
    }
  }
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(t)) return undefined;
  const v = Number(t) * mult;
  if (!Number.isFinite(v) || v > 2 ** 62) return undefined;
  return Math.trunc(v);
}

/** A byte count as the shortest exact size to type: 16MiB, 1536KiB, 1000 (see config.Size.String). */
export function sizeInput(bytes: number): string {
  if (bad(bytes)) return '';
  for (const [unit, m] of [
    ['TiB', 2 ** 40],
    ['GiB', 2 ** 30],
    ['MiB', 2 ** 20],
    ['KiB', 2 ** 10],
  ] as const) {
    if (bytes !== 0 && bytes % m === 0) return `${bytes / m}${unit}`;
  }
  return String(bytes);
}

/** Whether s is a Go duration string such as 72h, 1h30m or 24h0m0s. */
export function isGoDuration(s: string): boolean {
  const t = s.trim();
  return t === '0' || /^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$/.test(t);
}

/** A Go duration string without its zero tail: 24h0m0s → 24h, 1h30m0s → 1h30m. */
export function shortGoDuration(s: string | undefined | null): string {
  if (!s) return DASH;
  return s.replace(/^(.*\d)h0m0s$/, '$1h').replace(/^(.*\d)m0s$/, '$1m');
}

/** Seconds between two RFC 3339 times; undefined when either is missing or zero. */
export function secondsBetween(from: string | undefined | null, to: string | undefined | null): number | undefined {
  const a = parseDate(from);
  const b = parseDate(to);
  if (!a || !b) return undefined;
  return Math.max(0, (b.getTime() - a.getTime()) / 1000);
}
