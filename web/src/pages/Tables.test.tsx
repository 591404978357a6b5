import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { TableStats } from '../api';
import { I18nProvider } from '../i18n';
import { json, mockApi, table } from '../test/fixtures';
import { Tables } from './Tables';

const ROWS: TableStats[] = [
  table('sales', 'orders', { files: 1500, small_files: 1200, small_ratio: 0.8 }),
  table('sales', 'customers', { files: 1234567, small_files: 3, small_ratio: 3 / 1234567, partitioned: false, partitions: 0 }),
  table('logs', 'clicks', { files: 40, small_files: 20, small_ratio: 0.5, format: 'text+gzip', error_partitions: 2 }),
];

function setup(opts: { total?: number; url?: string; tables?: (u: URL) => Response } = {}) {
  window.history.replaceState(null, '', opts.url ?? '/tables');
  const m = mockApi({
    'GET /tables': opts.tables ?? (() => json({ scan_id: 1, items: ROWS, total: opts.total ?? ROWS.length })),
    'GET /databases': () =>
      json({
        scan_id: 1,
        items: ['logs', 'sales'].map((name) => ({
          name,
          tables: 1,
          partitions: 1,
          files: 1,
          bytes: 1,
          small_files: 1,
          small_ratio: 1,
          namenode_heap_bytes: 1,
          reducible_files: 0,
        })),
      }),
  });
  render(
    <I18nProvider lang="en">
      <Tables />
    </I18nProvider>,
  );
  const last = () => {
    const r = m.requests('GET', '/tables');
    return r[r.length - 1]!;
  };
  return { m, last };
}

describe('table explorer', () => {
  it('renders the rows of the API with exact and formatted figures', async () => {
    const { last } = setup();
    const rows = await screen.findAllByTestId('table-row');
    expect(rows.map((r) => r.getAttribute('data-table'))).toEqual(['sales.orders', 'sales.customers', 'logs.clicks']);

    const customers = rows[1]!;
    const files = within(customers).getByTestId('cell-files');
    expect(files.getAttribute('data-value')).toBe('1234567');
    expect(files.textContent).toBe('1,234,567');
    expect(within(customers).getByTestId('cell-small-files').getAttribute('data-value')).toBe('3');
    expect(within(customers).getByTestId('cell-small-ratio').textContent).toBe('<0.1%');
    expect(within(customers).getByTestId('cell-partitions').textContent).toBe('—');

    const orders = rows[0]!;
    expect(within(orders).getByTestId('cell-bytes').textContent).toBe('3 GiB');
    expect(within(orders).getByTestId('cell-small-ratio').textContent).toBe('80%');
    expect(within(orders).getByTestId('table-link').getAttribute('href')).toBe('/tables/sales/orders');

    // The default view: small files first, first page of 50.
    expect(last().search).toBe('?sort=small_files&order=desc&limit=50&offset=0');
    expect(screen.getByTestId('tables-total').getAttribute('data-value')).toBe('3');
  });

  it('sorts on the server when a header is clicked', async () => {
    const { last, m } = setup();
    await screen.findAllByTestId('table-row');
    expect(screen.getByTestId('sort-small_files').closest('th')?.getAttribute('aria-sort')).toBe('descending');

    fireEvent.click(screen.getByTestId('sort-files'));
    await waitFor(() => expect(last().searchParams.get('sort')).toBe('files'));
    expect(last().searchParams.get('order')).toBe('desc');
    expect(window.location.search).toBe('?sort=files&order=desc');
    expect(screen.getByTestId('sort-files').closest('th')?.getAttribute('aria-sort')).toBe('descending');

    // A second click flips the direction.
    fireEvent.click(screen.getByTestId('sort-files'));
    await waitFor(() => expect(last().searchParams.get('order')).toBe('asc'));

    // Names sort ascending first.
    fireEvent.click(screen.getByTestId('sort-name'));
    await waitFor(() => expect(last().searchParams.get('sort')).toBe('name'));
    expect(last().searchParams.get('order')).toBe('asc');

    // Every sort key of the spec has a header.
    for (const k of ['name', 'files', 'bytes', 'small_files', 'small_ratio', 'namenode_heap_bytes', 'reducible_files', 'avg_size', 'newest_mtime', 'partitions']) {
      expect(screen.getByTestId(`sort-${k}`)).toBeTruthy();
    }
    expect(m.requests('GET', '/tables').every((u) => u.searchParams.get('limit') === '50')).toBe(true);
  });

  it('reads its state from the URL and follows the back button', async () => {
    const { last } = setup({ url: '/tables?sort=bytes&order=asc&limit=25&offset=50&database=sales&format=orc&search=ord' });
    await screen.findAllByTestId('table-row');
    expect(Object.fromEntries(last().searchParams)).toEqual({
      database: 'sales',
      search: 'ord',
      format: 'orc',
      sort: 'bytes',
      order: 'asc',
      limit: '25',
      offset: '50',
    });
    expect((screen.getByTestId('search') as HTMLInputElement).value).toBe('ord');

    fireEvent.click(screen.getByTestId('sort-files'));
    await waitFor(() => expect(last().searchParams.get('sort')).toBe('files'));
    expect(last().searchParams.get('offset')).toBe('0');

    act(() => window.history.back());
    await waitFor(() => expect(last().searchParams.get('sort')).toBe('bytes'));
    expect(last().searchParams.get('offset')).toBe('50');
  });

  it('debounces the search box', async () => {
    const { last, m } = setup({ url: '/tables?offset=100' });
    await screen.findAllByTestId('table-row');
    const before = m.requests('GET', '/tables').length;
    const input = screen.getByTestId('search');
    fireEvent.change(input, { target: { value: 'o' } });
    fireEvent.change(input, { target: { value: 'or' } });
    fireEvent.change(input, { target: { value: 'ord' } });
    expect(m.requests('GET', '/tables').length).toBe(before);
    await waitFor(() => expect(last().searchParams.get('search')).toBe('ord'));
    // One request for the settled text, from the first page.
    expect(m.requests('GET', '/tables').length).toBe(before + 1);
    expect(last().searchParams.get('offset')).toBe('0');
    expect(new URLSearchParams(window.location.search).get('search')).toBe('ord');
  });

  it('filters by database and format from the dropdowns', async () => {
    const { last } = setup();
    await screen.findAllByTestId('table-row');
    const db = screen.getByTestId('filter-database') as HTMLSelectElement;
    await waitFor(() => expect([...db.options].map((o) => o.value)).toEqual(['', 'logs', 'sales']));
    fireEvent.change(db, { target: { value: 'logs' } });
    await waitFor(() => expect(last().searchParams.get('database')).toBe('logs'));
    fireEvent.change(screen.getByTestId('filter-format'), { target: { value: 'text+gzip' } });
    await waitFor(() => expect(last().searchParams.get('format')).toBe('text+gzip'));
    expect(last().searchParams.get('database')).toBe('logs');
  });

  it('pages on the server with the total of the response', async () => {
    const { last } = setup({ total: 120 });
    await screen.findAllByTestId('table-row');
    expect(screen.getByTestId('pager-range').textContent).toBe('1–50 of 120');
    fireEvent.click(screen.getByTestId('pager-next'));
    await waitFor(() => expect(last().searchParams.get('offset')).toBe('50'));
    await waitFor(() => expect(screen.getByTestId('pager-range').textContent).toBe('51–100 of 120'));
    fireEvent.change(screen.getByTestId('pager-size'), { target: { value: '1000' } });
    await waitFor(() => expect(last().searchParams.get('limit')).toBe('1000'));
    expect(last().searchParams.get('offset')).toBe('0');
    expect((screen.getByTestId('pager-next') as HTMLButtonElement).disabled).toBe(true);
  });

  it('shows API errors', async () => {
    setup({ tables: () => json({ code: 'not_found', message: 'no snapshot yet' }, 404) });
    const alert = await screen.findByTestId('api-error');
    expect(alert.textContent).toContain('no snapshot yet');
    expect(alert.getAttribute('data-code')).toBe('not_found');
    expect(screen.queryAllByTestId('table-row')).toHaveLength(0);
  });

  it('shows the empty state before the first scan', async () => {
    setup({ tables: () => json({ scan_id: 0, items: [], total: 0 }) });
    expect((await screen.findByTestId('empty-state')).textContent).toContain('No snapshot yet');
  });
});
