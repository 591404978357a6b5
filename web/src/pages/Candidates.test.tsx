import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Candidate } from '../api';
import { I18nProvider } from '../i18n';
import { json, mergeJob, mockApi, MiB } from '../test/fixtures';
import { Candidates } from './Candidates';

function candidate(table: string, partition: string, value: number): Candidate {
  return {
    database: 'sales',
    table,
    partition,
    format: 'parquet',
    files: 500,
    small_files: 490,
    bytes: 300 * MiB,
    reducible_files: 497,
    newest_mtime: '2026-10-01T00:00:00Z',
    score: { value, files_removed: 497, heap_saved: 149100, coldness: 1, f: 0.8325, h: 0.1245, s: 0.7734 },
  };
}

function setup() {
  window.history.replaceState(null, '', '/candidates');
  const m = mockApi({
    'GET /candidates': () => json({ items: [candidate('orders', 'dt=2026-10-01', 84.31), candidate('events', '', 60)] }),
    'POST /merges': () => json(mergeJob({ id: 31 }), 201),
  });
  render(
    <I18nProvider lang="en">
      <Candidates />
    </I18nProvider>,
  );
  return m;
}

describe('candidates', () => {
  it('ranks partitions with the score, its terms and the formula', async () => {
    const m = setup();
    const rows = await screen.findAllByTestId('candidate-row');
    expect(rows.map((r) => [r.getAttribute('data-table'), r.getAttribute('data-spec')])).toEqual([
      ['sales.orders', 'dt=2026-10-01'],
      ['sales.events', ''],
    ]);
    expect(m.requests('GET', '/candidates')[0]!.search).toBe('?limit=50');
    const score = within(rows[0]!).getByTestId('cell-score');
    expect(score.getAttribute('data-value')).toBe('84.31');
    expect(score.textContent).toBe('84.31');
    expect(score.querySelector('[title]')?.getAttribute('title')).toBe(
      '497 files removed, 146 KiB heap freed · f 0.83, h 0.12, coldness 1, s 0.77',
    );
    expect(within(rows[0]!).getByTestId('cell-f').textContent).toBe('0.83');
    expect(within(rows[0]!).getByTestId('cell-coldness').textContent).toBe('1');
    expect(within(rows[0]!).getByTestId('cell-s').textContent).toBe('0.77');
    expect(screen.getByTestId('score-help').textContent).toContain('Score = 100 × (0.45·f + 0.25·h + 0.20·coldness + 0.10·s)');
    expect(rows[1]!.textContent).toContain('(unpartitioned table)');
  });

  it('plans the partition of a row and opens the job', async () => {
    const m = setup();
    const rows = await screen.findAllByTestId('candidate-row');
    fireEvent.click(within(rows[0]!).getByTestId('candidate-plan'));
    await waitFor(() => expect(window.location.pathname).toBe('/merges/31'));
    const body = JSON.parse(String(m.fn.mock.calls.find(([, init]) => init?.method === 'POST')![1]!.body));
    expect(body).toEqual({ database: 'sales', table: 'orders', partitions: ['dt=2026-10-01'] });
  });

  it('plans a whole unpartitioned table', async () => {
    const m = setup();
    const rows = await screen.findAllByTestId('candidate-row');
    fireEvent.click(within(rows[1]!).getByTestId('candidate-plan'));
    await waitFor(() => expect(window.location.pathname).toBe('/merges/31'));
    const body = JSON.parse(String(m.fn.mock.calls.find(([, init]) => init?.method === 'POST')![1]!.body));
    expect(body).toEqual({ database: 'sales', table: 'events' });
  });
});
