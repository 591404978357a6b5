import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { MergeJob } from '../api';
import { I18nProvider } from '../i18n';
import { json, mergeJob, mockApi, plan, result } from '../test/fixtures';
import { MergeJobPage, mergePercent } from './MergeJob';

function show(id = 12) {
  return render(
    <I18nProvider lang="en">
      <MergeJobPage id={id} pollMs={20} />
    </I18nProvider>,
  );
}

describe('mergePercent', () => {
  it('measures by bytes, else files', () => {
    expect(mergePercent({ files_done: 1, files_total: 4, bytes_done: 30, bytes_total: 100 })).toBe(30);
    expect(mergePercent({ files_done: 1, files_total: 4, bytes_done: 0, bytes_total: 0 })).toBe(25);
    expect(mergePercent({ files_done: 0, files_total: 0, bytes_done: 0, bytes_total: 0 })).toBe(0);
    expect(mergePercent(undefined)).toBe(0);
  });
});

describe('merge job page', () => {
  it('previews the plan: totals, eligibility with reasons, modes and groups', async () => {
    const m = mockApi({ 'GET /merges/12': () => json(mergeJob()) });
    show();
    const files = await screen.findByTestId('plan-files');
    expect(files.getAttribute('data-before')).toBe('120');
    expect(files.getAttribute('data-after')).toBe('2');
    expect(files.textContent).toContain('120 → 2');
    expect(files.textContent).toContain('1 of 2 partitions eligible');
    expect(screen.getByTestId('plan-bytes').textContent).toContain('150 MiB');
    expect(screen.getByTestId('plan-estimate').textContent).toContain('12s');
    expect(screen.getByTestId('plan-mode').textContent).toContain('Auto');
    const policy = screen.getByTestId('plan-policy');
    expect(policy.textContent).toContain('default → sales');
    expect(policy.textContent).toContain('small below 16 MiB, target 128 MiB, minimum age 24h');
    expect(screen.getByTestId('merge-state').textContent).toBe('Planned');
    expect(screen.getByTestId('merge-table').getAttribute('href')).toBe('/tables/sales/orders');

    const rows = screen.getAllByTestId('plan-partition');
    expect(rows.map((r) => [r.getAttribute('data-spec'), r.getAttribute('data-eligible')])).toEqual([
      ['dt=2026-11-01', 'true'],
      ['dt=2026-11-20', 'false'],
    ]);
    // The ineligible partition says why.
    expect(within(rows[1]!).getByTestId('plan-reason').textContent).toBe(
      'Not eligible: not cold yet: last change 2h ago, min_age 24h',
    );
    expect(within(rows[1]!).queryByTestId('groups-toggle')).toBeNull();
    expect(within(rows[0]!).queryByTestId('plan-reason')).toBeNull();
    expect(rows[0]!.textContent).toContain('Concatenate');
    expect(rows[0]!.textContent).toContain('row groups are large enough');
    expect(within(rows[0]!).getByTestId('plan-score').textContent).toBe('71.25');

    // Groups: output ← inputs.
    expect(screen.queryByTestId('plan-groups')).toBeNull();
    fireEvent.click(within(rows[0]!).getByTestId('groups-toggle'));
    const groups = screen.getAllByTestId('plan-group');
    expect(groups.map((g) => [g.getAttribute('data-output'), g.getAttribute('data-inputs')])).toEqual([
      ['part-00000.parquet', '3'],
      ['part-00003.parquet', '2'],
    ]);
    expect(groups[0]!.textContent).toContain('part-00000.parquet←part-00000.parquetpart-00001.parquetpart-00002.parquet');
    expect(groups[0]!.textContent).toContain('3 inputs, 100 MiB');

    // Planned: Merge, but no progress, results, cancel or rollback.
    expect(screen.getByTestId('merge-run')).toBeTruthy();
    for (const id of ['merge-progress', 'merge-results', 'merge-cancel', 'merge-rollback']) {
      expect(screen.queryByTestId(id), id).toBeNull();
    }
    // Nothing polls a planned job.
    await new Promise((r) => setTimeout(r, 80));
    expect(m.requests('GET', '/merges/12')).toHaveLength(1);
  });

  it('confirms before merging, then follows the progress until the results', async () => {
    let job: MergeJob = mergeJob();
    const m = mockApi({
      'GET /merges/12': () => json(job),
      'POST /merges/12/run': () => {
        job = mergeJob({ state: 'queued', progress: { files_done: 0, files_total: 120, bytes_done: 0, bytes_total: 150 << 20 } });
        return json(job, 202);
      },
    });
    show();
    fireEvent.click(await screen.findByTestId('merge-run'));
    const dialog = screen.getByTestId('confirm-merge');
    expect(dialog.getAttribute('role')).toBe('dialog');
    expect(screen.getByTestId('confirm-merge-message').textContent).toContain(
      'Merge 120 files into 2 in sales.orders? Originals are kept for rollback.',
    );
    expect(dialog.textContent).toContain('Eligible partitions: 1; 150 MiB to rewrite.');

    // Cancel closes the dialog without a request.
    fireEvent.click(screen.getByTestId('confirm-merge-cancel'));
    expect(screen.queryByTestId('confirm-merge')).toBeNull();
    expect(m.requests('POST', '/merges/12/run')).toHaveLength(0);

    fireEvent.click(screen.getByTestId('merge-run'));
    fireEvent.click(screen.getByTestId('confirm-merge-confirm'));
    await waitFor(() => expect(m.requests('POST', '/merges/12/run')).toHaveLength(1));
    expect(await screen.findByTestId('merge-progress')).toBeTruthy();
    expect(screen.getByTestId('merge-state').textContent).toBe('Queued');
    expect(screen.queryByTestId('merge-run')).toBeNull();
    expect(screen.getByTestId('merge-cancel')).toBeTruthy();

    // The job runs: the page polls its progress.
    job = mergeJob({
      state: 'running',
      started_at: '2026-11-21T10:01:00Z',
      progress: { files_done: 60, files_total: 120, bytes_done: 75 << 20, bytes_total: 150 << 20 },
    });
    await waitFor(() => expect(screen.getByTestId('merge-progress').getAttribute('data-percent')).toBe('50.0'));
    const progress = screen.getByTestId('merge-progress');
    expect(progress.getAttribute('data-files-done')).toBe('60');
    expect(screen.getByTestId('progress-files').textContent).toBe('60 of 120 files');
    expect(screen.getByTestId('progress-bytes').textContent).toBe('75 MiB of 150 MiB');
    expect(screen.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('50');
    expect(screen.getByTestId('merge-state').textContent).toBe('Running');

    job = mergeJob({
      state: 'succeeded',
      started_at: '2026-11-21T10:01:00Z',
      finished_at: '2026-11-21T10:01:45Z',
      progress: { files_done: 120, files_total: 120, bytes_done: 150 << 20, bytes_total: 150 << 20 },
      results: [result('dt=2026-11-01')],
    });
    await waitFor(() => expect(screen.getByTestId('merge-state').textContent).toBe('Succeeded'));
    expect(screen.queryByTestId('merge-progress')).toBeNull();
    expect(screen.queryByTestId('merge-cancel')).toBeNull();
    expect(screen.getByTestId('merge-rollback')).toBeTruthy();
    const polls = m.requests('GET', '/merges/12').length;
    await new Promise((r) => setTimeout(r, 80));
    // A finished job is not polled any more.
    expect(m.requests('GET', '/merges/12')).toHaveLength(polls);
  });

  it('cancels a running job', async () => {
    let job = mergeJob({ state: 'running', progress: { files_done: 1, files_total: 4, bytes_done: 1, bytes_total: 4 } });
    const m = mockApi({
      'GET /merges/12': () => json(job),
      'POST /merges/12/cancel': () => {
        job = mergeJob({ state: 'cancelled' });
        return json(job);
      },
    });
    show();
    fireEvent.click(await screen.findByTestId('merge-cancel'));
    await waitFor(() => expect(screen.getByTestId('merge-state').textContent).toBe('Cancelled'));
    expect(m.requests('POST', '/merges/12/cancel')).toHaveLength(1);
    expect(screen.queryByTestId('merge-progress')).toBeNull();
  });

  it('shows per-partition results, the job error, and rolls back after confirmation', async () => {
    let job = mergeJob({
      state: 'failed',
      started_at: '2026-11-21T10:01:00Z',
      finished_at: '2026-11-21T10:02:00Z',
      error: 'partition dt=2026-11-20: row count mismatch',
      results: [
        result('dt=2026-11-01'),
        result('dt=2026-11-20', {
          index: 1,
          step: 'aborted',
          files_after: 0,
          bytes_after: 0,
          rows_after: 999,
          validation: undefined,
          error: 'row count mismatch: 1000 in, 999 out',
          started_at: '2026-11-21T10:01:42Z',
          ended_at: '2026-11-21T10:01:50Z',
        }),
      ],
    });
    const m = mockApi({
      'GET /merges/12': () => json(job),
      'POST /merges/12/rollback': () => {
        job = { ...job, state: 'rolled_back', results: job.results!.map((r) => ({ ...r, step: r.step === 'swapped' ? 'rolled_back' : r.step })) };
        return json(job);
      },
    });
    show();
    expect((await screen.findByTestId('job-error')).textContent).toContain('The job failed: partition dt=2026-11-20: row count mismatch');
    const rows = screen.getAllByTestId('result-row');
    expect(rows.map((r) => r.getAttribute('data-step'))).toEqual(['swapped', 'aborted']);
    const ok = rows[0]!;
    expect(within(ok).getByTestId('result-step').textContent).toBe('Swapped');
    expect(within(ok).getByTestId('result-files').textContent).toBe('120 → 2');
    expect(within(ok).getByTestId('result-bytes').textContent).toBe('150 MiB → 149 MiB');
    expect(within(ok).getByTestId('result-rows').textContent).toBe('1,000,000 → 1,000,000');
    expect(within(ok).getByTestId('result-duration').textContent).toBe('42s');
    expect(within(ok).getByTestId('result-validation').textContent).toBe('rows 1000000 = 1000000, schema identical');
    const bad = rows[1]!;
    expect(within(bad).getByTestId('result-step').textContent).toBe('Aborted');
    expect(within(bad).getByTestId('result-error').textContent).toBe('row count mismatch: 1000 in, 999 out');
    expect(within(bad).getByTestId('result-duration').textContent).toBe('8s');

    // Failed with a swapped partition: it can be rolled back.
    fireEvent.click(screen.getByTestId('merge-rollback'));
    expect(screen.getByTestId('confirm-rollback-message').textContent).toBe(
      'Roll back merge #12 of sales.orders? The original files are restored and the merged files removed.',
    );
    fireEvent.click(screen.getByTestId('confirm-rollback-confirm'));
    await waitFor(() => expect(screen.getByTestId('merge-state').textContent).toBe('Rolled back'));
    expect(m.requests('POST', '/merges/12/rollback')).toHaveLength(1);
    expect(screen.queryByTestId('confirm-rollback')).toBeNull();
    expect(screen.queryByTestId('merge-rollback')).toBeNull();
  });

  it('shows a rollback refusal clearly', async () => {
    const message = 'partition dt=2026-11-01 changed since the merge (3 new files); nothing was rolled back';
    const m = mockApi({
      'GET /merges/12': () => json(mergeJob({ state: 'succeeded', results: [result('dt=2026-11-01')] })),
      'POST /merges/12/rollback': () => json({ code: 'conflict', message }, 409),
    });
    show();
    fireEvent.click(await screen.findByTestId('merge-rollback'));
    fireEvent.click(screen.getByTestId('confirm-rollback-confirm'));
    const refused = await screen.findByTestId('rollback-refused');
    expect(refused.getAttribute('role')).toBe('alert');
    expect(refused.textContent).toContain('Rollback refused:');
    expect(refused.textContent).toContain(message);
    expect(screen.queryByTestId('confirm-rollback')).toBeNull();
    // The page reloads the job to show its current state.
    await waitFor(() => expect(m.requests('GET', '/merges/12').length).toBeGreaterThanOrEqual(2));
    expect(screen.getByTestId('merge-state').textContent).toBe('Succeeded');
  });

  it('says why a table cannot be merged and offers no Merge', async () => {
    mockApi({
      'GET /merges/12': () =>
        json(
          mergeJob({
            plan: plan({
              eligible: false,
              reason: 'transactional (ACID) tables are not merged',
              partitions: [],
              files_before: 0,
              files_after: 0,
              bytes_to_rewrite: 0,
            }),
          }),
        ),
    });
    show();
    expect((await screen.findByTestId('plan-refused')).textContent).toContain(
      'This table cannot be merged: transactional (ACID) tables are not merged',
    );
    expect(screen.queryByTestId('merge-run')).toBeNull();
    expect(screen.getByTestId('plan-table').textContent).toContain('The plan has no partitions.');
  });

  it('shows an unknown job as an error', async () => {
    mockApi({ 'GET /merges/99': () => json({ code: 'not_found', message: 'merge job 99 not found' }, 404) });
    show(99);
    const err = await screen.findByTestId('api-error');
    expect(err.getAttribute('data-code')).toBe('not_found');
    expect(err.textContent).toContain('merge job 99 not found');
  });
});
