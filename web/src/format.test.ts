import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatCompact,
  formatCount,
  formatDateTime,
  formatDuration,
  formatRatio,
  formatShortDateTime,
  isGoDuration,
  parseSize,
  ratioSeverity,
  secondsBetween,
  shortGoDuration,
  sizeInput,
} from './format';

describe('formatBytes', () => {
  it('prints bytes below 1 KiB as integers', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1)).toBe('1 B');
    expect(formatBytes(1023)).toBe('1,023 B');
  });

  it('uses binary units with three significant digits', () => {
    expect(formatBytes(1024)).toBe('1 KiB');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(16 * 2 ** 20)).toBe('16 MiB');
    expect(formatBytes(12.345 * 2 ** 20)).toBe('12.3 MiB');
    expect(formatBytes(1.234 * 2 ** 30)).toBe('1.23 GiB');
    expect(formatBytes(456 * 2 ** 30)).toBe('456 GiB');
    expect(formatBytes(5 * 2 ** 40)).toBe('5 TiB');
    expect(formatBytes(3 * 2 ** 50)).toBe('3 PiB');
  });

  it('carries into the next unit instead of printing 1,024', () => {
    expect(formatBytes(1023.9 * 1024)).toBe('1 MiB');
    expect(formatBytes(2 ** 30 - 1)).toBe('1 GiB');
  });

  it('handles negatives and bad input', () => {
    expect(formatBytes(-2048)).toBe('-2 KiB');
    expect(formatBytes(Number.NaN)).toBe('—');
    expect(formatBytes(Number.POSITIVE_INFINITY)).toBe('—');
  });

  it('follows the language for digit grouping', () => {
    expect(formatBytes(1023, 'zh')).toBe('1,023 B');
    expect(formatBytes(1.5 * 2 ** 30, 'zh')).toBe('1.5 GiB');
  });
});

describe('formatCount', () => {
  it('prints exact integers with grouping', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(999)).toBe('999');
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(1234567, 'zh')).toBe('1,234,567');
    expect(formatCount(9007199254740991)).toBe('9,007,199,254,740,991');
  });

  it('rounds fractions and rejects bad input', () => {
    expect(formatCount(2.6)).toBe('3');
    expect(formatCount(Number.NaN)).toBe('—');
  });
});

describe('formatCompact', () => {
  it('abbreviates per language', () => {
    expect(formatCompact(950)).toBe('950');
    expect(formatCompact(1234567)).toBe('1.2M');
    expect(formatCompact(12345)).toBe('12.3K');
    expect(formatCompact(1234567, 'zh')).toBe('123.5万');
    expect(formatCompact(123456789, 'zh')).toBe('1.2亿');
  });
});

describe('formatRatio', () => {
  it('prints percentages with one decimal', () => {
    expect(formatRatio(0)).toBe('0%');
    expect(formatRatio(1)).toBe('100%');
    expect(formatRatio(0.5)).toBe('50%');
    expect(formatRatio(0.12345)).toBe('12.3%');
    expect(formatRatio(654321 / 1234567)).toBe('53%');
    expect(formatRatio(0.12345, 'zh')).toBe('12.3%');
  });

  it('never rounds a non-zero ratio down to 0%', () => {
    expect(formatRatio(0.00001)).toBe('<0.1%');
  });

  it('rejects bad input', () => {
    expect(formatRatio(Number.NaN)).toBe('—');
  });
});

describe('formatDuration', () => {
  it('covers milliseconds to days in English', () => {
    expect(formatDuration(0)).toBe('0 ms');
    expect(formatDuration(0.8504)).toBe('850 ms');
    expect(formatDuration(4.25)).toBe('4.2s');
    expect(formatDuration(12.9)).toBe('12s');
    expect(formatDuration(65)).toBe('1m 05s');
    expect(formatDuration(3600 + 120 + 5)).toBe('1h 02m');
    expect(formatDuration(2 * 86400 + 3 * 3600)).toBe('2d 3h');
  });

  it('uses Chinese units in zh', () => {
    expect(formatDuration(0.25, 'zh')).toBe('250 毫秒');
    expect(formatDuration(4.25, 'zh')).toBe('4.2秒');
    expect(formatDuration(65, 'zh')).toBe('1分05秒');
    expect(formatDuration(3725, 'zh')).toBe('1小时02分');
    expect(formatDuration(90000, 'zh')).toBe('1天1小时');
  });

  it('rejects negative and bad input', () => {
    expect(formatDuration(-1)).toBe('—');
    expect(formatDuration(Number.NaN)).toBe('—');
  });
});

describe('dates', () => {
  it('formats ISO times and treats missing or zero times as unknown', () => {
    expect(formatDateTime('2026-11-21T10:00:00Z')).toMatch(/2026/);
    expect(formatDateTime('2026-11-21T10:00:00Z', 'zh')).toMatch(/2026年11月/);
    expect(formatDateTime(undefined)).toBe('—');
    expect(formatDateTime('0001-01-01T00:00:00Z')).toBe('—');
    expect(formatDateTime('not a date')).toBe('—');
    expect(formatShortDateTime('2026-11-21T10:00:00Z')).toMatch(/11\/2\d/);
  });
});

describe('ratioSeverity', () => {
  it('grades the small-file ratio', () => {
    expect(ratioSeverity(0)).toBe('ok');
    expect(ratioSeverity(0.199)).toBe('ok');
    expect(ratioSeverity(0.2)).toBe('warn');
    expect(ratioSeverity(0.49)).toBe('warn');
    expect(ratioSeverity(0.5)).toBe('bad');
    expect(ratioSeverity(1)).toBe('bad');
    expect(ratioSeverity(Number.NaN)).toBe('ok');
  });
});

describe('parseSize', () => {
  it('reads sizes as the server configuration does', () => {
    expect(parseSize('16MiB')).toBe(16 * 2 ** 20);
    expect(parseSize('128MiB')).toBe(134217728);
    expect(parseSize('1GB')).toBe(1e9);
    expect(parseSize('512')).toBe(512);
    expect(parseSize('1.5KiB')).toBe(1536);
    expect(parseSize(' 2 GiB ')).toBe(2 * 2 ** 30);
    expect(parseSize('64M')).toBe(64 * 2 ** 20);
    expect(parseSize('1T')).toBe(2 ** 40);
    expect(parseSize('10MB')).toBe(10_000_000);
    expect(parseSize('100B')).toBe(100);
    expect(parseSize('0')).toBe(0);
  });

  it('accepts units in any case', () => {
    expect(parseSize('16mib')).toBe(16 * 2 ** 20);
    expect(parseSize('1gb')).toBe(1e9);
    expect(parseSize('4k')).toBe(4096);
  });

  it('truncates fractions of a byte', () => {
    expect(parseSize('1.0001KiB')).toBe(1024);
    expect(parseSize('0.5')).toBe(0);
  });

  it('rejects anything else', () => {
    for (const bad of ['', ' ', 'MiB', '-1MiB', 'lots', '16 XiB', '1e3', '1,024', '16MiBs', '0x10', 'NaN', 'Infinity']) {
      expect(parseSize(bad), bad).toBeUndefined();
    }
  });

  it('round-trips with sizeInput', () => {
    expect(sizeInput(16 * 2 ** 20)).toBe('16MiB');
    expect(sizeInput(1536)).toBe('1536');
    expect(sizeInput(3 * 2 ** 30)).toBe('3GiB');
    expect(sizeInput(2 ** 40)).toBe('1TiB');
    expect(sizeInput(1e9)).toBe('1000000000');
    expect(sizeInput(0)).toBe('0');
    for (const n of [1, 1000, 4096, 16 * 2 ** 20, 1e9, 64 * 2 ** 30]) expect(parseSize(sizeInput(n))).toBe(n);
  });
});

describe('Go durations', () => {
  it('validates them', () => {
    for (const ok of ['72h', '24h0m0s', '1h30m', '90s', '1.5h', '0', '300ms', '0s']) expect(isGoDuration(ok), ok).toBe(true);
    for (const bad of ['', '3 days', '72', 'h', '1d', '1h 30m']) expect(isGoDuration(bad), bad).toBe(false);
  });

  it('drops the zero tail', () => {
    expect(shortGoDuration('24h0m0s')).toBe('24h');
    expect(shortGoDuration('168h0m0s')).toBe('168h');
    expect(shortGoDuration('1h30m0s')).toBe('1h30m');
    expect(shortGoDuration('30m0s')).toBe('30m');
    expect(shortGoDuration('1h0m30s')).toBe('1h0m30s');
    expect(shortGoDuration('0s')).toBe('0s');
    expect(shortGoDuration(undefined)).toBe('—');
  });

  it('measures the time between two timestamps', () => {
    expect(secondsBetween('2026-11-21T10:01:00Z', '2026-11-21T10:01:42.5Z')).toBe(42.5);
    expect(secondsBetween('2026-11-21T10:01:00Z', undefined)).toBeUndefined();
    expect(secondsBetween('0001-01-01T00:00:00Z', '2026-11-21T10:01:00Z')).toBeUndefined();
  });
});
