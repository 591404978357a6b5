import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Scan, Summary } from './api';
import { App } from './App';
import { FakeEventSource } from './test/FakeEventSource';
import { catalogInfo, json, mergeJob, mockApi, partition, scan, table, totals } from './test/fixtures';

// ECharts needs a real canvas; the charts have their own lazy chunk.
vi.mock('./charts/lazy', () => ({
  HistogramChart: () => <div data-testid="histogram-chart" />,
  TrendChart: () => <div data-testid="trend-chart" />,
}));

const empty: Summary = { snapshot: null, totals: totals({ files: 0, small_files: 0, tables: 0 }) };

function serve(routes: Parameters<typeof mockApi>[0] = {}) {
  let summary: Summary = empty;
  const m = mockApi({
    'GET /catalogs': () => json({ items: [catalogInfo('default', { kind: 'warehouse', uri: 'warehouse:///data/wh' })] }),
    'GET /summary': () => json(summary),
    'GET /scans': () => json({ items: [], total: 0 }),
    'GET /tables': () => json({ scan_id: 7, items: [table('sales', 'orders')], total: 1 }),
    'GET /trends': () => json({ items: [] }),
    'POST /scans': () => json(scan({ id: 7, state: 'queued' }), 202),
    ...routes,
  });
  return {
    m,
    setSummary: (s: Summary) => {
      summary = s;
    },
  };
}

const done = (over: Partial<Scan> = {}) => scan({ id: 7, state: 'succeeded', finished_at: '2026-11-21T10:01:00Z', ...over });

describe('App', () => {
  beforeEach(() => {
    FakeEventSource.instances = [];
    vi.stubGlobal('EventSource', FakeEventSource);
    window.localStorage.setItem('shoal.lang', 'en');
  });

  it('scans from the empty state, follows the event stream and refreshes', async () => {
    const api = serve();
    render(<App />);
    expect((await screen.findByTestId('empty-state')).textContent).toContain('No snapshot yet — click Scan now');
    // On load it looks for a scan already under way.
    await waitFor(() => expect(api.m.requests('GET', '/scans').map((u) => u.search)).toEqual(['?state=running&limit=1', '?state=queued&limit=1']));

    fireEvent.click(screen.getByTestId('scan-now'));
    await waitFor(() => expect(FakeEventSource.instances).toHaveLength(1));
    const es = FakeEventSource.instances[0]!;
    expect(es.url).toBe('/api/v1/scans/7/events');
    expect(screen.getByTestId('scan-progress').getAttribute('data-state')).toBe('queued');
    expect((screen.getByTestId('scan-now') as HTMLButtonElement).disabled).toBe(true);

    es.emit('progress', scan({ id: 7, progress: { ...scan().progress, percent: 40 } }));
    expect(screen.getByTestId('scan-progress').getAttribute('data-percent')).toBe('40.0');

    api.setSummary({ snapshot: done(), totals: totals() });
    es.emit('done', done());
    expect(es.closed).toBe(true);
    expect(screen.getByTestId('scan-progress').getAttribute('data-state')).toBe('succeeded');

    // The page refetched its data.
    const files = await screen.findByTestId('summary-files');
    expect(files.getAttribute('data-value')).toBe('1234567');
    expect(screen.getByTestId('summary-small-files').getAttribute('data-value')).toBe('654321');
    expect(screen.getByTestId('summary-tables').getAttribute('data-value')).toBe('3');
    expect(await screen.findAllByTestId('table-row')).toHaveLength(1);
    expect(api.m.requests('GET', '/tables')[0]!.search).toBe('?sort=small_files&limit=10');
    expect((screen.getByTestId('scan-now') as HTMLButtonElement).disabled).toBe(false);
  });

  it('follows the running scan when starting one answers 409', async () => {
    // Someone else starts scan 3 after the page loaded.
    let running: Scan | undefined;
    const api = serve({
      'GET /scans': (u) =>
        json(running && u.searchParams.get('state') === 'running' ? { items: [running], total: 1 } : { items: [], total: 0 }),
      'POST /scans': () => json({ code: 'conflict', message: 'a scan is already running' }, 409),
    });
    render(<App />);
    await screen.findByTestId('empty-state');
    await waitFor(() => expect(api.m.requests('GET', '/scans')).toHaveLength(2));
    running = scan({ id: 3, state: 'running' });

    fireEvent.click(screen.getByTestId('scan-now'));
    await waitFor(() => expect(FakeEventSource.instances).toHaveLength(1));
    expect(FakeEventSource.instances[0]!.url).toBe('/api/v1/scans/3/events');
    expect(api.m.requests('GET', '/scans')[2]!.search).toBe('?state=running&limit=1');
    const panel = screen.getByTestId('scan-progress');
    expect(panel.getAttribute('data-scan-id')).toBe('3');
    expect(panel.getAttribute('data-state')).toBe('running');
    expect(panel.textContent).toContain('A scan is already running; following it.');
  });

  it('falls back to polling when the stream fails, and shows a failure', async () => {
    let polled = 0;
    serve({
      'GET /scans/7': () => {
        polled++;
        return json(polled < 2 ? scan({ id: 7, state: 'running' }) : scan({ id: 7, state: 'failed', error: 'permission denied: /wh' }));
      },
    });
    render(<App />);
    await screen.findByTestId('empty-state');
    fireEvent.click(screen.getByTestId('scan-now'));
    await waitFor(() => expect(FakeEventSource.instances).toHaveLength(1));
    const es = FakeEventSource.instances[0]!;
    es.fail();
    expect(es.closed).toBe(true);
    await waitFor(() => expect(screen.getByTestId('scan-progress').getAttribute('data-state')).toBe('failed'), { timeout: 4000 });
    expect(polled).toBe(2);
    expect(screen.getByTestId('scan-error').textContent).toBe('Scan failed: permission denied: /wh');
  });

  it('shows why a scan could not start', async () => {
    serve({ 'POST /scans': () => json({ code: 'unavailable', message: 'store is read-only' }, 503) });
    render(<App />);
    await screen.findByTestId('empty-state');
    fireEvent.click(screen.getByTestId('scan-now'));
    expect((await screen.findByRole('alert')).textContent).toBe('Could not start a scan: store is read-only');
  });

  it('switches language and remembers it', async () => {
    serve();
    render(<App />);
    await screen.findByTestId('empty-state');
    fireEvent.change(screen.getByTestId('lang-switch'), { target: { value: 'zh' } });
    expect(screen.getByTestId('scan-now').textContent).toBe('立即扫描');
    expect(screen.getByTestId('empty-state').textContent).toContain('尚无快照');
    expect(window.localStorage.getItem('shoal.lang')).toBe('zh');
    expect(document.documentElement.lang).toBe('zh-CN');
  });

  it('routes to the table page and shows partition errors', async () => {
    window.history.replaceState(null, '', '/tables/sales/orders?errors=true');
    const api = serve({
      'GET /tables/sales/orders': () => json(table('sales', 'orders', { error_partitions: 1 })),
      'GET /tables/sales/orders/partitions': () =>
        json({
          scan_id: 7,
          total: 1,
          items: [
            {
              ...table('sales', 'orders'),
              spec: 'dt=2026-11-01',
              median_size: 1,
              error: 'open /wh/sales.db/orders/dt=2026-11-01: permission denied',
            },
          ],
        }),
    });
    api.setSummary({ snapshot: done(), totals: totals() });
    render(<App />);
    const err = await screen.findByTestId('partition-error');
    expect(err.textContent).toBe('Listing failed: open /wh/sales.db/orders/dt=2026-11-01: permission denied');
    const req = api.m.requests('GET', '/tables/sales/orders/partitions')[0]!;
    expect(req.search).toBe('?errors=true&sort=small_files&order=desc&limit=50&offset=0');
    expect(api.m.requests('GET', '/trends')[0]!.search).toBe('?database=sales&table=orders');
    expect(screen.getByTestId('table-files').getAttribute('data-value')).toBe('1500');

    fireEvent.click(screen.getByTestId('sort-name'));
    await waitFor(() => expect(api.m.requests('GET', '/tables/sales/orders/partitions')).toHaveLength(2));
    expect(api.m.requests('GET', '/tables/sales/orders/partitions')[1]!.searchParams.get('sort')).toBe('name');
  });

  it('warns about demo mode on every page when the API is open', async () => {
    serve({ 'GET /auth': () => json({ required: false }), 'GET /merges': () => json({ items: [], total: 0 }) });
    render(<App />);
    const banner = await screen.findByTestId('demo-banner');
    expect(banner.textContent).toBe('!Demo mode: the API is open; anyone can start merges');
    expect(screen.queryByTestId('token-button')).toBeNull();
    fireEvent.click(screen.getByTestId('nav-merges'));
    expect(await screen.findByTestId('merges-page')).toBeTruthy();
    expect(screen.getByTestId('nav-merges').getAttribute('aria-current')).toBe('page');
    expect(screen.getByTestId('demo-banner')).toBeTruthy();
    fireEvent.change(screen.getByTestId('lang-switch'), { target: { value: 'zh' } });
    expect(screen.getByTestId('demo-banner').textContent).toContain('演示模式');
  });

  it('plans a merge of the selected partitions from the table page, asking for a token on 401', async () => {
    window.history.replaceState(null, '', '/tables/sales/orders');
    let planned: { body: unknown; auth: string | undefined }[] = [];
    const api = serve({
      'GET /auth': () => json({ required: true }),
      'GET /tables/sales/orders': () => json(table('sales', 'orders')),
      'GET /tables/sales/orders/partitions': () =>
        json({ scan_id: 7, total: 2, items: [partition('dt=2026-11-01'), partition('dt=2026-11-02')] }),
      'POST /merges': (_u, init) => {
        const auth = (init?.headers as Record<string, string>).Authorization;
        planned = [...planned, { body: JSON.parse(String(init?.body)), auth }];
        if (auth !== 'Bearer s3cret') return json({ code: 'unauthorized', message: 'this server requires a bearer token for changes (auth.tokens)' }, 401);
        return json(mergeJob({ id: 21 }), 201);
      },
      'GET /merges/21': () => json(mergeJob({ id: 21 })),
    });
    api.setSummary({ snapshot: done(), totals: totals() });
    render(<App />);
    // Auth is required: no demo banner, a token button in the header.
    expect(await screen.findByTestId('token-button')).toBeTruthy();
    expect(screen.queryByTestId('demo-banner')).toBeNull();

    // Select one partition.
    const boxes = await screen.findAllByTestId('select-partition');
    expect(boxes).toHaveLength(2);
    fireEvent.click(boxes[1]!);
    expect(screen.getByTestId('selection-count').getAttribute('data-value')).toBe('1');
    expect(screen.getByTestId('plan-merge').textContent).toBe('Plan merge (1 selected)');

    // Without a token the server refuses: the token field opens.
    fireEvent.click(screen.getByTestId('plan-merge'));
    const form = await screen.findByTestId('token-form');
    expect(form.textContent).toContain('The server refused the change');
    expect((await screen.findByTestId('api-error')).getAttribute('data-code')).toBe('unauthorized');
    fireEvent.change(screen.getByTestId('token-input'), { target: { value: 's3cret' } });
    fireEvent.click(screen.getByTestId('token-save'));
    expect(window.localStorage.getItem('shoal.token')).toBe('s3cret');
    expect(screen.queryByTestId('token-form')).toBeNull();

    // With the token the plan is made and its page opens.
    fireEvent.click(screen.getByTestId('plan-merge'));
    expect(await screen.findByTestId('merge-page')).toBeTruthy();
    expect(window.location.pathname).toBe('/merges/21');
    expect(await screen.findAllByTestId('plan-partition')).toHaveLength(2);
    expect(planned).toEqual([
      { body: { database: 'sales', table: 'orders', partitions: ['dt=2026-11-02'] }, auth: undefined },
      { body: { database: 'sales', table: 'orders', partitions: ['dt=2026-11-02'] }, auth: 'Bearer s3cret' },
    ]);
  });

  it('plans the whole table when nothing is selected', async () => {
    window.history.replaceState(null, '', '/tables/sales/orders');
    const bodies: unknown[] = [];
    const api = serve({
      'GET /tables/sales/orders': () => json(table('sales', 'orders')),
      'GET /tables/sales/orders/partitions': () => json({ scan_id: 7, total: 1, items: [partition('dt=2026-11-01')] }),
      'POST /merges': (_u, init) => {
        bodies.push(JSON.parse(String(init?.body)));
        return json(mergeJob({ id: 22 }), 201);
      },
      'GET /merges/22': () => json(mergeJob({ id: 22 })),
    });
    api.setSummary({ snapshot: done(), totals: totals() });
    render(<App />);
    await screen.findAllByTestId('select-partition');
    expect(screen.getByTestId('plan-merge').textContent).toBe('Plan merge');
    fireEvent.click(screen.getByTestId('plan-merge'));
    await waitFor(() => expect(window.location.pathname).toBe('/merges/22'));
    expect(bodies).toEqual([{ database: 'sales', table: 'orders' }]);
  });

  it('sets and forgets the bearer token from the header', async () => {
    serve({ 'GET /auth': () => json({ required: true }) });
    render(<App />);
    const button = await screen.findByTestId('token-button');
    expect(button.getAttribute('title')).toBe('No token set: changes will be refused');
    fireEvent.click(button);
    expect(screen.getByTestId('token-form').textContent).toContain('This server needs a bearer token for changes.');
    expect(screen.queryByTestId('token-forget')).toBeNull();
    fireEvent.change(screen.getByTestId('token-input'), { target: { value: ' abc ' } });
    fireEvent.click(screen.getByTestId('token-save'));
    expect(window.localStorage.getItem('shoal.token')).toBe('abc');
    expect(screen.getByTestId('token-button').getAttribute('title')).toBe('A token is set for changes');
    fireEvent.click(screen.getByTestId('token-button'));
    expect((screen.getByTestId('token-input') as HTMLInputElement).value).toBe('abc');
    fireEvent.click(screen.getByTestId('token-forget'));
    expect(window.localStorage.getItem('shoal.token')).toBeNull();
    expect(screen.queryByTestId('token-form')).toBeNull();
  });
});

