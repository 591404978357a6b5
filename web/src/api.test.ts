import { describe, expect, it, vi } from 'vitest';
import { ApiError, buildQuery, defaultOrder, PARTITION_SORT_KEYS, ShoalClient, SORT_KEYS } from './api';
import { json, mockApi, scan } from './test/fixtures';

describe('buildQuery', () => {
  it('keeps order and skips empty values', () => {
    expect(buildQuery({})).toBe('');
    expect(buildQuery({ a: undefined, b: null, c: '', d: false })).toBe('');
    expect(buildQuery({ sort: 'files', order: 'desc', limit: 50, offset: 0 })).toBe(
      '?sort=files&order=desc&limit=50&offset=0',
    );
    expect(buildQuery({ errors: true })).toBe('?errors=true');
    expect(buildQuery({ limit: Number.NaN })).toBe('');
  });

  it('encodes values', () => {
    expect(buildQuery({ search: 'dt=2026-01-01/h=0 & x', format: 'text+gzip' })).toBe(
      '?search=dt%3D2026-01-01%2Fh%3D0+%26+x&format=text%2Bgzip',
    );
  });
});

describe('sort keys', () => {
  it('mirrors the spec', () => {
    expect([...SORT_KEYS]).toEqual([
      'name',
      'files',
      'bytes',
      'small_files',
      'small_ratio',
      'namenode_heap_bytes',
      'reducible_files',
      'avg_size',
      'newest_mtime',
      'partitions',
    ]);
    expect(PARTITION_SORT_KEYS).not.toContain('partitions');
    expect(PARTITION_SORT_KEYS).toHaveLength(9);
    expect(defaultOrder('name')).toBe('asc');
    expect(defaultOrder('files')).toBe('desc');
  });
});

describe('ShoalClient requests', () => {
  it('builds the URL of every operation', async () => {
    const seen: string[] = [];
    const c = new ShoalClient(undefined, async (input, init) => {
      seen.push(`${init?.method} ${input}`);
      return json({ items: [], total: 0, totals: {} });
    });
    await c.getSummary();
    await c.getSummary({ scan_id: 3 });
    await c.listScans({ state: 'running', limit: 1 });
    await c.getScan(5);
    await c.listDatabases({ scan_id: 2 });
    await c.listTables({
      database: 'sales',
      search: 'ord',
      format: 'text+gzip',
      sort: 'small_ratio',
      order: 'asc',
      limit: 100,
      offset: 200,
    });
    await c.getTable('my db', 'a/b');
    await c.listTablePartitions('sales', 'orders', { errors: true, sort: 'bytes', order: 'desc', limit: 25, offset: 50 });
    await c.listPartitions({ search: 'dt=2026' });
    await c.getTrend({ database: 'sales', table: 'orders', limit: 30 });
    await c.getTrend();
    expect(seen).toEqual([
      'GET /api/v1/summary',
      'GET /api/v1/summary?scan_id=3',
      'GET /api/v1/scans?state=running&limit=1',
      'GET /api/v1/scans/5',
      'GET /api/v1/databases?scan_id=2',
      'GET /api/v1/tables?database=sales&search=ord&format=text%2Bgzip&sort=small_ratio&order=asc&limit=100&offset=200',
      'GET /api/v1/tables/my%20db/a%2Fb',
      'GET /api/v1/tables/sales/orders/partitions?errors=true&sort=bytes&order=desc&limit=25&offset=50',
      'GET /api/v1/partitions?search=dt%3D2026',
      'GET /api/v1/trends?database=sales&table=orders&limit=30',
      'GET /api/v1/trends',
    ]);
  });

  it('POSTs to start and cancel scans', async () => {
    const m = mockApi({
      'POST /scans': () => json(scan({ id: 9, state: 'queued' }), 202),
      'POST /scans/9/cancel': () => json(scan({ id: 9, state: 'cancelled' })),
    });
    const c = new ShoalClient();
    expect((await c.startScan()).id).toBe(9);
    expect((await c.cancelScan(9)).state).toBe('cancelled');
    expect(m.calls.map((x) => `${x.method} ${x.url.pathname}`)).toEqual(['POST /api/v1/scans', 'POST /api/v1/scans/9/cancel']);
    expect(c.scanEventsUrl(9)).toBe('/api/v1/scans/9/events');
  });

  it('asks for JSON and passes the abort signal', async () => {
    const f = vi.fn(async () => json({ totals: {} }));
    const ac = new AbortController();
    await new ShoalClient('/api/v1/', f).getSummary({}, { signal: ac.signal });
    expect(f).toHaveBeenCalledWith('/api/v1/summary', {
      method: 'GET',
      headers: { Accept: 'application/json' },
      signal: ac.signal,
    });
  });
});

describe('ShoalClient errors', () => {
  it('turns an {code, message} answer into an ApiError', async () => {
    mockApi({ 'GET /tables': () => json({ code: 'invalid', message: 'limit must be between 1 and 1000' }, 400) });
    const err = await new ShoalClient().listTables({ limit: 5000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'invalid', status: 400, message: 'limit must be between 1 and 1000' });
  });

  it('reports a 409 conflict with its code', async () => {
    mockApi({ 'POST /scans': () => json({ code: 'conflict', message: 'a scan is already running' }, 409) });
    await expect(new ShoalClient().startScan()).rejects.toMatchObject({ code: 'conflict', status: 409 });
  });

  it('keeps the status and body of an error that is not JSON', async () => {
    mockApi({ 'GET /summary': () => new Response('upstream timed out', { status: 502, statusText: 'Bad Gateway' }) });
    await expect(new ShoalClient().getSummary()).rejects.toMatchObject({
      code: 'internal',
      status: 502,
      message: 'HTTP 502: upstream timed out',
    });
    mockApi({ 'GET /summary': () => new Response('', { status: 404, statusText: 'Not Found' }) });
    await expect(new ShoalClient().getSummary()).rejects.toMatchObject({ code: 'not_found', message: 'HTTP 404: Not Found' });
  });

  it('reports an unreachable server as a network error', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))));
    await expect(new ShoalClient().getSummary()).rejects.toMatchObject({
      code: 'network',
      status: 0,
      message: 'Cannot reach the Shoal server: Failed to fetch',
    });
  });

  it('rejects a success answer that is not JSON', async () => {
    mockApi({ 'GET /summary': () => new Response('<html>index</html>', { status: 200 }) });
    await expect(new ShoalClient().getSummary()).rejects.toMatchObject({ code: 'bad_response', status: 200 });
  });

  it('lets aborts through unchanged', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new DOMException('aborted', 'AbortError'))));
    await expect(new ShoalClient().getSummary()).rejects.toMatchObject({ name: 'AbortError' });
  });
});
