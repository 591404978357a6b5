import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { MergeJob } from '../api';
import { I18nProvider } from '../i18n';
import { json, mergeJob, mockApi, plan } from '../test/fixtures';
import { jobSeconds, Merges } from './Merges';

const JOBS: MergeJob[] = [
  mergeJob({
    id: 14,
    state: 'running',
    started_at: '2026-11-21T11:00:00Z',
    results: null,
  }),
  mergeJob({
    id: 13,
    state: 'succeeded',
    created_by: 'token:alice',
    started_at: '2026-11-21T10:01:00Z',
    finished_at: '2026-11-21T10:04:05Z',
    results: null,
  }),
  mergeJob({
    id: 12,
    state: 'failed',
    database: 'logs',
    table: 'clicks',
    plan: plan({ files_before: 4000, files_after: 31 }),
    started_at: '2026-11-21T09:00:00Z',
    finished_at: '2026-11-21T09:00:30Z',
    error: 'boom',
    results: null,
  }),
  mergeJob({ id: 11, state: 'planned', plan: null, results: null }),
];

function setup(opts: { url?: string; total?: number; list?: (u: URL) => Response; rollback?: () => Response } = {}) {
  window.history.replaceState(null, '', opts.url ?? '/merges');
  const m = mockApi({
    'GET /merges': opts.list ?? (() => json({ items: JOBS, total: opts.total ?? JOBS.length })),
    'POST /merges/13/rollback': opts.rollback ?? (() => json(mergeJob({ id: 13, state: 'rolled_back' }))),
  });
  render(
    <I18nProvider lang="en">
      <Merges />
    </I18nProvider>,
  );
  const last = () => {
    const r = m.requests('GET', '/merges');
    return r[r.length - 1]!;
  };
  return { m, last };
}

describe('jobSeconds', () => {
  it('runs from start to finish, or to now while running', () => {
    expect(jobSeconds({ state: 'succeeded', started_at: '2026-11-21T10:00:00Z', finished_at: '2026-11-21T10:00:09Z' })).toBe(9);
    expect(jobSeconds({ state: 'running', started_at: '2026-11-21T10:00:00Z' }, Date.parse('2026-11-21T10:01:00Z'))).toBe(60);
    expect(jobSeconds({ state: 'planned' })).toBeUndefined();
  });
});

describe('merge history', () => {
  it('lists every job with its table, state, author, files and duration', async () => {
    const { last } = setup();
    const rows = await screen.findAllByTestId('merge-row');
    expect(rows.map((r) => [r.getAttribute('data-id'), r.getAttribute('data-state')])).toEqual([
      ['14', 'running'],
      ['13', 'succeeded'],
      ['12', 'failed'],
      ['11', 'planned'],
    ]);
    expect(last().search).toBe('?limit=50&offset=0');
    expect(screen.getByTestId('merges-total').getAttribute('data-value')).toBe('4');

    const ok = rows[1]!;
    expect(within(ok).getByTestId('merge-link').getAttribute('href')).toBe('/merges/13');
    expect(within(ok).getByTestId('merge-link').textContent).toBe('#13');
    expect(within(ok).getByTestId('merge-state').textContent).toBe('Succeeded');
    expect(ok.textContent).toContain('sales.orders');
    expect(ok.textContent).toContain('token:alice');
    expect(within(ok).getByTestId('cell-files-change').textContent).toBe('120 → 2');
    expect(ok.textContent).toContain('3m 05s');

    const failed = rows[2]!;
    expect(failed.textContent).toContain('logs.clicks');
    expect(within(failed).getByTestId('cell-files-change').textContent).toBe('4,000 → 31');
    expect(failed.textContent).toContain('30s');
    expect(within(rows[3]!).getByTestId('cell-files-change').textContent).toBe('—');

    // The rollback action is offered on succeeded rows only.
    expect(rows.map((r) => !!within(r).queryByTestId('row-rollback'))).toEqual([false, true, false, false]);
  });

  it('filters by state and pages on the server', async () => {
    const { last } = setup({ total: 120 });
    await screen.findAllByTestId('merge-row');
    fireEvent.change(screen.getByTestId('filter-state'), { target: { value: 'succeeded' } });
    await waitFor(() => expect(last().searchParams.get('state')).toBe('succeeded'));
    expect(window.location.search).toBe('?state=succeeded');
    expect(screen.getByTestId('merges-pager-range').textContent).toBe('1–50 of 120');
    fireEvent.click(screen.getByTestId('merges-pager-next'));
    await waitFor(() => expect(last().searchParams.get('offset')).toBe('50'));
    expect(last().searchParams.get('state')).toBe('succeeded');
    // Back to all states, from the first page.
    fireEvent.change(screen.getByTestId('filter-state'), { target: { value: '' } });
    await waitFor(() => expect(last().search).toBe('?limit=50&offset=0'));
  });

  it('reads the state filter from the URL and ignores an unknown one', async () => {
    const { last } = setup({ url: '/merges?state=rolled_back&limit=25' });
    await screen.findAllByTestId('merge-row');
    expect(last().search).toBe('?state=rolled_back&limit=25&offset=0');
    expect((screen.getByTestId('filter-state') as HTMLSelectElement).value).toBe('rolled_back');
  });

  it('rolls a succeeded job back after confirmation and refreshes', async () => {
    const { m } = setup();
    const rows = await screen.findAllByTestId('merge-row');
    fireEvent.click(within(rows[1]!).getByTestId('row-rollback'));
    expect(screen.getByTestId('confirm-rollback-message').textContent).toBe(
      'Roll back merge #13 of sales.orders? The original files are restored and the merged files removed.',
    );
    fireEvent.click(screen.getByTestId('confirm-rollback-confirm'));
    expect((await screen.findByTestId('rollback-done')).textContent).toContain('Merge #13 was rolled back');
    expect(m.requests('POST', '/merges/13/rollback')).toHaveLength(1);
    await waitFor(() => expect(m.requests('GET', '/merges')).toHaveLength(2));
  });

  it('shows a refused rollback with the server message', async () => {
    setup({ rollback: () => json({ code: 'conflict', message: 'the backup of dt=2026-11-01 was purged' }, 409) });
    const rows = await screen.findAllByTestId('merge-row');
    fireEvent.click(within(rows[1]!).getByTestId('row-rollback'));
    fireEvent.click(screen.getByTestId('confirm-rollback-confirm'));
    const refused = await screen.findByTestId('rollback-refused');
    expect(refused.textContent).toContain('Rollback refused:');
    expect(refused.textContent).toContain('the backup of dt=2026-11-01 was purged');
  });

  it('says when there is no job yet', async () => {
    setup({ list: () => json({ items: [], total: 0 }) });
    expect((await screen.findByTestId('merges-table')).textContent).toContain('No merge jobs yet.');
  });
});
