import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { CatalogInfo, Scan, Summary } from './api';
import { App } from './App';
import { catalogSwitchHref, resolveCatalog } from './catalog';
import { navigate, withSticky } from './router';
import { FakeEventSource } from './test/FakeEventSource';
import { catalogInfo, json, mergeJob, mockApi, scan, table, totals } from './test/fixtures';

vi.mock('./charts/lazy', () => ({
  HistogramChart: () => <div data-testid="histogram-chart" />,
  TrendChart: () => <div data-testid="trend-chart" />,
}));

const EAST = catalogInfo('east');
const WEST = catalogInfo('west', { healthy: false, error: 'dial tcp 10.0.0.9:9083: connection refused', databases: undefined });

const snap = (catalog: string): Summary => ({
  snapshot: scan({ id: catalog === 'west' ? 9 : 7, catalog, state: 'succeeded', finished_at: '2026-11-21T10:01:00Z' }),
  totals: totals({ files: catalog === 'west' ? 222 : 111 }),
});

function serve(catalogs: CatalogInfo[] = [EAST, WEST], routes: Parameters<typeof mockApi>[0] = {}) {
  return mockApi({
    'GET /catalogs': () => json({ items: catalogs }),
    'GET /summary': (u) => json(snap(u.searchParams.get('catalog') ?? catalogs[0]?.name ?? '')),
    'GET /scans': () => json({ items: [], total: 0 }),
    'GET /tables': () => json({ scan_id: 7, items: [table('sales', 'orders')], total: 1 }),
    'GET /databases': () => json({ scan_id: 7, items: [] }),
    'GET /trends': () => json({ items: [] }),
    'GET /merges': () => json({ items: [], total: 0 }),
    'POST /scans': (u) => json(scan({ id: 30, state: 'queued', catalog: u.searchParams.get('catalog') ?? 'east' }), 202),
    ...routes,
  });
}

const catalogParams = (urls: URL[]) => urls.map((u) => u.searchParams.get('catalog'));

describe('catalog helpers', () => {
  it('resolves the catalog shown from the URL name', () => {
    expect(resolveCatalog(undefined, 'east')).toEqual({ current: undefined, unknown: false });
    expect(resolveCatalog([EAST, WEST], undefined)).toEqual({ current: EAST, unknown: false });
    expect(resolveCatalog([EAST, WEST], 'west')).toEqual({ current: WEST, unknown: false });
    expect(resolveCatalog([EAST, WEST], 'north')).toEqual({ current: undefined, unknown: true });
    expect(resolveCatalog([], 'east')).toEqual({ current: undefined, unknown: true });
  });

  it('switches catalog on list pages in place, and from a detail page to its list', () => {
    expect(catalogSwitchHref('/tables', 'west')).toBe('/tables?catalog=west');
    expect(catalogSwitchHref('/tables/sales/orders', 'west')).toBe('/tables?catalog=west');
    expect(catalogSwitchHref('/merges/12', 'west')).toBe('/merges?catalog=west');
    expect(catalogSwitchHref('/candidates', undefined)).toBe('/candidates');
  });

  it('carries the catalog over to in-app links that do not name one', () => {
    expect(withSticky('/tables?sort=name', '?catalog=west&sort=files')).toBe('/tables?sort=name&catalog=west');
    expect(withSticky('/merges/3#x', '?catalog=west')).toBe('/merges/3?catalog=west#x');
    expect(withSticky('/tables?catalog=east', '?catalog=west')).toBe('/tables?catalog=east');
    expect(withSticky('/tables', '?sort=files')).toBe('/tables');
    expect(withSticky('https://example.com/', '?catalog=west')).toBe('https://example.com/');
    window.history.replaceState(null, '', '/?catalog=west');
    navigate('/tables');
    expect(window.location.pathname + window.location.search).toBe('/tables?catalog=west');
    navigate('/candidates', { sticky: false });
    expect(window.location.search).toBe('');
  });
});

describe('catalog selector', () => {
  beforeEach(() => {
    FakeEventSource.instances = [];
    vi.stubGlobal('EventSource', FakeEventSource);
    window.localStorage.setItem('shoal.lang', 'en');
  });

  it('reads the catalog from the URL, passes it to the API and switches on change', async () => {
    window.history.replaceState(null, '', '/?catalog=west');
    const m = serve();
    render(<App />);
    const select = (await screen.findByTestId('catalog-select')) as HTMLSelectElement;
    expect(select.value).toBe('west');
    expect([...select.options].map((o) => o.textContent)).toEqual(['east', 'west (unhealthy)']);
    await waitFor(() => expect(screen.getByTestId('summary-files').getAttribute('data-value')).toBe('222'));
    expect(catalogParams(m.requests('GET', '/summary'))).toEqual(['west']);
    await waitFor(() => expect(m.requests('GET', '/tables')).toHaveLength(1));
    expect(m.requests('GET', '/tables')[0]!.search).toBe('?catalog=west&sort=small_files&limit=10');
    expect(catalogParams(m.requests('GET', '/trends'))).toEqual(['west']);

    // Navigation links keep the catalog.
    expect(screen.getByTestId('nav-tables').getAttribute('href')).toBe('/tables?catalog=west');
    expect(screen.getByTestId('nav-overview').getAttribute('href')).toBe('/?catalog=west');

    fireEvent.change(select, { target: { value: 'east' } });
    expect(window.location.search).toBe('?catalog=east');
    await waitFor(() => expect(screen.getByTestId('summary-files').getAttribute('data-value')).toBe('111'));
    expect(catalogParams(m.requests('GET', '/summary'))).toEqual(['west', 'east']);
    expect(screen.getByTestId('nav-tables').getAttribute('href')).toBe('/tables?catalog=east');

    // Following a link keeps the catalog, and the page asks for it.
    fireEvent.click(screen.getByTestId('nav-tables'));
    await screen.findByTestId('tables-page');
    expect(window.location.pathname + window.location.search).toBe('/tables?catalog=east');
    await waitFor(() => expect(m.requests('GET', '/tables').length).toBeGreaterThanOrEqual(3));
    const last = m.requests('GET', '/tables').at(-1)!;
    expect(last.searchParams.get('catalog')).toBe('east');
    expect(catalogParams(m.requests('GET', '/databases'))).toEqual(['east']);
  });

  it('drops the filters of the old catalog and leaves a table page for the list', async () => {
    window.history.replaceState(null, '', '/tables/sales/orders?catalog=east&sort=name');
    serve([EAST, WEST], {
      'GET /tables/sales/orders': () => json(table('sales', 'orders')),
      'GET /tables/sales/orders/partitions': () => json({ scan_id: 7, total: 0, items: [] }),
    });
    render(<App />);
    await screen.findByTestId('table-page');
    fireEvent.change(screen.getByTestId('catalog-select'), { target: { value: 'west' } });
    expect(window.location.pathname + window.location.search).toBe('/tables?catalog=west');
    expect(await screen.findByTestId('tables-page')).toBeTruthy();
  });

  it('shows the only catalog by name, without a select', async () => {
    serve([EAST]);
    render(<App />);
    const name = await screen.findByTestId('catalog-name');
    expect(name.textContent).toBe('east');
    expect(name.getAttribute('title')).toBe('thrift://east-hms:9083');
    expect(screen.queryByTestId('catalog-select')).toBeNull();
  });

  it('shows an unknown catalog as an error with a link to the default one', async () => {
    window.history.replaceState(null, '', '/tables?catalog=north&sort=name');
    const m = serve();
    render(<App />);
    const box = await screen.findByTestId('unknown-catalog');
    expect(box.textContent).toContain('This server has no catalog named “north”.');
    expect(within(box).getByTestId('known-catalogs').textContent).toBe('Configured catalogs: east, west');
    // Nothing was asked of the unknown catalog, and it cannot be scanned.
    expect(m.requests('GET', '/tables')).toHaveLength(0);
    expect((screen.getByTestId('scan-now') as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByTestId('catalog-select') as HTMLSelectElement).value).toBe('north');

    const link = within(box).getByTestId('catalog-default-link');
    expect(link.getAttribute('href')).toBe('/tables');
    expect(link.textContent).toBe('Show the default catalog (east)');
    fireEvent.click(link);
    expect(await screen.findByTestId('tables-page')).toBeTruthy();
    expect(window.location.pathname + window.location.search).toBe('/tables');
    expect(screen.queryByTestId('unknown-catalog')).toBeNull();
    await waitFor(() => expect(m.requests('GET', '/tables')).toHaveLength(1));
    expect(m.requests('GET', '/tables')[0]!.searchParams.has('catalog')).toBe(false);
    expect((screen.getByTestId('scan-now') as HTMLButtonElement).disabled).toBe(false);
  });

  it('scans the selected catalog and follows only its running scan', async () => {
    window.history.replaceState(null, '', '/?catalog=west');
    let running: Scan[] = [scan({ id: 5, catalog: 'east', state: 'running' })];
    const m = serve([EAST, WEST], {
      'GET /scans': (u) => json(u.searchParams.get('state') === 'running' ? { items: running, total: running.length } : { items: [], total: 0 }),
      'POST /scans': () => json({ code: 'conflict', message: 'a scan of west is running' }, 409),
    });
    render(<App />);
    await screen.findByTestId('summary-files');
    // The running scan of east is not followed while west is shown.
    await waitFor(() => expect(m.requests('GET', '/scans').length).toBeGreaterThanOrEqual(2));
    expect(screen.queryByTestId('scan-progress')).toBeNull();
    expect((screen.getByTestId('scan-now') as HTMLButtonElement).disabled).toBe(false);

    running = [scan({ id: 5, catalog: 'east', state: 'running' }), scan({ id: 6, catalog: 'west', state: 'running' })];
    fireEvent.click(screen.getByTestId('scan-now'));
    await waitFor(() => expect(FakeEventSource.instances.length).toBeGreaterThan(0));
    expect(m.requests('POST', '/scans')[0]!.search).toBe('?catalog=west');
    expect(FakeEventSource.instances.at(-1)!.url).toBe('/api/v1/scans/6/events');
    expect(screen.getByTestId('scan-progress').getAttribute('data-scan-id')).toBe('6');
  });

  it('plans merges in the selected catalog from the table page and the candidates', async () => {
    window.history.replaceState(null, '', '/tables/sales/orders?catalog=west');
    const bodies: { path: string; body: unknown }[] = [];
    const m = serve([EAST, WEST], {
      'GET /tables/sales/orders': () => json(table('sales', 'orders')),
      'GET /tables/sales/orders/partitions': () => json({ scan_id: 9, total: 0, items: [] }),
      'POST /merges': (_u, init) => {
        bodies.push({ path: '/merges', body: JSON.parse(String(init?.body)) });
        return json(mergeJob({ id: 31, catalog: 'west' }), 201);
      },
      'GET /merges/31': () => json(mergeJob({ id: 31, catalog: 'west' })),
      'GET /candidates': () =>
        json({
          items: [
            {
              database: 'sales',
              table: 'orders',
              partition: 'dt=1',
              files: 10,
              small_files: 10,
              bytes: 100,
              reducible_files: 9,
              score: { value: 50, f: 1, h: 1, coldness: 1, s: 1, files_removed: 9, heap_saved: 100 },
            },
          ],
        }),
      'POST /candidates/plan': (_u, init) => {
        bodies.push({ path: '/candidates/plan', body: JSON.parse(String(init?.body)) });
        return json({ items: [], bytes_to_rewrite: 0 }, 201);
      },
    });
    render(<App />);
    await screen.findByTestId('table-page');
    expect(catalogParams(m.requests('GET', '/tables/sales/orders'))).toEqual(['west']);
    expect(catalogParams(m.requests('GET', '/tables/sales/orders/partitions'))).toEqual(['west']);
    fireEvent.click(screen.getByTestId('plan-merge'));
    await waitFor(() => expect(window.location.pathname).toBe('/merges/31'));
    // The job page keeps the catalog, names it, and links its table there.
    expect(window.location.search).toBe('?catalog=west');
    expect((await screen.findByTestId('merge-catalog')).getAttribute('data-catalog')).toBe('west');
    expect(screen.getByTestId('merge-table').getAttribute('href')).toBe('/tables/sales/orders?catalog=west');

    fireEvent.click(screen.getByTestId('nav-candidates'));
    await screen.findAllByTestId('candidate-row');
    expect(catalogParams(m.requests('GET', '/candidates'))).toEqual(['west']);
    fireEvent.click(screen.getByTestId('candidates-plan-all'));
    await waitFor(() => expect(window.location.pathname).toBe('/merges'));
    expect(window.location.search).toBe('?state=planned&catalog=west');
    expect(bodies).toEqual([
      { path: '/merges', body: { database: 'sales', table: 'orders', catalog: 'west' } },
      { path: '/candidates/plan', body: { limit: 50, catalog: 'west' } },
    ]);
  });

  it('lists the merges of the shown catalog with a catalog column, or of all', async () => {
    window.history.replaceState(null, '', '/merges?catalog=west');
    const m = serve([EAST, WEST], {
      'GET /merges': (u) => {
        const c = u.searchParams.get('catalog');
        const jobs = [mergeJob({ id: 2, catalog: 'west', results: null }), mergeJob({ id: 1, catalog: 'east', results: null })];
        const items = c ? jobs.filter((j) => j.catalog === c) : jobs;
        return json({ items, total: items.length });
      },
    });
    render(<App />);
    await waitFor(() => expect(screen.getAllByTestId('merge-row')).toHaveLength(1));
    expect(screen.getByTestId('cell-catalog').getAttribute('data-value')).toBe('west');
    expect(m.requests('GET', '/merges').at(-1)!.searchParams.get('catalog')).toBe('west');
    const filter = screen.getByTestId('filter-catalog') as HTMLSelectElement;
    expect(filter.value).toBe('west');
    // The table link opens the table in the job's catalog.
    expect(within(screen.getByTestId('merge-row')).getByText('orders').closest('a')!.getAttribute('href')).toBe(
      '/tables/sales/orders?catalog=west',
    );

    fireEvent.change(filter, { target: { value: '' } });
    await waitFor(() => expect(screen.getAllByTestId('merge-row')).toHaveLength(2));
    expect(window.location.search).toBe('?catalog=west&catalogs=all');
    expect(m.requests('GET', '/merges').at(-1)!.searchParams.has('catalog')).toBe(false);
    expect(screen.getAllByTestId('cell-catalog').map((c) => c.getAttribute('data-value'))).toEqual(['west', 'east']);
  });
});
