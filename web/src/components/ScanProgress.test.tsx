import { fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { I18nProvider, type Lang } from '../i18n';
import { scan } from '../test/fixtures';
import { ScanProgress, scanPercent } from './ScanProgress';
import type { ComponentProps } from 'react';

function show(props: ComponentProps<typeof ScanProgress>, lang: Lang = 'en') {
  return render(
    <I18nProvider lang={lang}>
      <ScanProgress {...props} />
    </I18nProvider>,
  );
}

describe('scanPercent', () => {
  it('uses the reported percent, clamped, and 100 once succeeded', () => {
    expect(scanPercent(scan())).toBe(25);
    expect(scanPercent(scan({ state: 'succeeded' }))).toBe(100);
    expect(scanPercent(scan({ progress: { ...scan().progress, percent: 130 } }))).toBe(100);
  });
});

describe('ScanProgress', () => {
  it('renders nothing without a scan or an error', () => {
    const { container } = show({ scan: undefined });
    expect(container.innerHTML).toBe('');
  });

  it('shows a running scan as a determinate bar with its figures', () => {
    const onCancel = vi.fn();
    show({ scan: scan(), onCancel });
    const panel = screen.getByTestId('scan-progress');
    expect(panel.getAttribute('data-state')).toBe('running');
    expect(panel.getAttribute('data-percent')).toBe('25.0');
    const bar = screen.getByRole('progressbar');
    expect(bar.getAttribute('aria-valuenow')).toBe('25');
    expect((bar.firstElementChild as HTMLElement).style.width).toBe('25%');
    expect(panel.textContent).toContain('Scan #7');
    expect(panel.textContent).toContain('Running');
    expect(panel.textContent).toContain('25 of 100 partitions');
    expect(panel.textContent).toContain('1 of 3 tables');
    expect(panel.textContent).toContain('5,000 files, 3 MiB');
    expect(panel.textContent).toContain('12.5 partitions/s');
    expect(panel.textContent).toContain('6s left');
    fireEvent.click(screen.getByText('Cancel'));
    expect(onCancel).toHaveBeenCalledOnce();
  });

  it('is indeterminate while partitions are still being discovered', () => {
    const s = scan({ progress: { ...scan().progress, total_known: false, percent: 0, partitions_done: 12 } });
    show({ scan: s });
    const bar = screen.getByRole('progressbar');
    expect(bar.className).toContain('progress-indeterminate');
    expect(bar.getAttribute('aria-valuenow')).toBeNull();
    expect(screen.getByTestId('scan-progress').textContent).toContain('12 partitions, still discovering');
  });

  it('shows a finished scan at 100% with its duration', () => {
    const onDismiss = vi.fn();
    show({ scan: scan({ state: 'succeeded', duration_seconds: 65 }), onDismiss });
    const panel = screen.getByTestId('scan-progress');
    expect(panel.getAttribute('data-state')).toBe('succeeded');
    expect(panel.getAttribute('data-percent')).toBe('100.0');
    expect(screen.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100');
    expect(panel.textContent).toContain('Finished in 1m 05s');
    expect(screen.queryByText('Cancel')).toBeNull();
    fireEvent.click(screen.getByText('Dismiss'));
    expect(onDismiss).toHaveBeenCalledOnce();
  });

  it('shows the error message of a failed scan', () => {
    show({ scan: scan({ state: 'failed', error: 'metastore: connection refused' }) });
    expect(screen.getByTestId('scan-error').textContent).toBe('Scan failed: metastore: connection refused');
    expect(screen.getByTestId('scan-state').textContent).toBe('Failed');
  });

  it('shows an error without a scan, e.g. when starting failed', () => {
    show({ scan: undefined, error: { key: 'scan.startFailed', vars: { message: 'catalog unavailable' } } });
    expect(screen.getByRole('alert').textContent).toBe('Could not start a scan: catalog unavailable');
  });

  it('speaks Chinese', () => {
    show({ scan: scan() }, 'zh');
    const panel = screen.getByTestId('scan-progress');
    expect(panel.textContent).toContain('扫描 #7');
    expect(panel.textContent).toContain('扫描中');
    expect(panel.textContent).toContain('分区 25 / 100');
  });
});
