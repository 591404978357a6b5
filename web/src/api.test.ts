import { describe, expect, it, vi } from 'vitest';
import {
  ApiError,
  buildQuery,
  canRollBack,
  defaultOrder,
  isRunnable,
  loadToken,
  PARTITION_SORT_KEYS,
  saveToken,
  ShoalClient,
  SORT_KEYS,
  TOKEN_STORAGE_KEY,
} from './api';
import { json, mergeJob, mockApi, plan, result, scan } from './test/fixtures';

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

describe('catalogs', () => {
  it('lists the catalogs', async () => {
    const m = mockApi({ 'GET /catalogs': () => json({ items: [{ name: 'east', healthy: true }] }) });
    const list = await new ShoalClient().listCatalogs();
    expect(list.items.map((c) => c.name)).toEqual(['east']);
    expect(m.calls.map((c) => `${c.method} ${c.url.pathname}${c.url.search}`)).toEqual(['GET /api/v1/catalogs']);
  });

  it('passes the catalog to every catalog-scoped call, in the query or the body', async () => {
    const seen: { line: string; body?: unknown }[] = [];
    const c = new ShoalClient(
      undefined,
      async (input, init) => {
        seen.push({ line: `${init?.method} ${input}`, body: init?.body === undefined ? undefined : JSON.parse(String(init.body)) });
        return json({ items: [], total: 0, totals: {} });
      },
      () => '',
    );
    const catalog = 'west-1';
    await c.getSummary({ catalog, scan_id: 3 });
    await c.startScan({ catalog });
    await c.listDatabases({ catalog });
    await c.listTables({ catalog, sort: 'files' });
    await c.getTable('sales', 'orders', { catalog });
    await c.listTablePartitions('sales', 'orders', { catalog, limit: 5 });
    await c.listPartitions({ catalog, errors: true });
    await c.getTrend({ catalog, database: 'sales', table: 'orders' });
    await c.listCandidates({ catalog, limit: 25 });
    await c.listMerges({ catalog, state: 'planned' });
    await c.getEffectivePolicy('sales.orders', { catalog });
    await c.planMerge({ catalog, database: 'sales', table: 'orders', partitions: ['dt=1'] });
    await c.planCandidates({ catalog, limit: 10 });
    // Omitted: the server's default catalog, and nothing is sent.
    await c.startScan();
    await c.planMerge({ database: 'sales', table: 'orders' });
    expect(seen.map((s) => s.line)).toEqual([
      'GET /api/v1/summary?catalog=west-1&scan_id=3',
      'POST /api/v1/scans?catalog=west-1',
      'GET /api/v1/databases?catalog=west-1',
      'GET /api/v1/tables?catalog=west-1&sort=files',
      'GET /api/v1/tables/sales/orders?catalog=west-1',
      'GET /api/v1/tables/sales/orders/partitions?catalog=west-1&limit=5',
      'GET /api/v1/partitions?catalog=west-1&errors=true',
      'GET /api/v1/trends?catalog=west-1&database=sales&table=orders',
      'GET /api/v1/candidates?catalog=west-1&limit=25',
      'GET /api/v1/merges?catalog=west-1&state=planned',
      'GET /api/v1/policies/sales.orders/effective?catalog=west-1',
      'POST /api/v1/merges',
      'POST /api/v1/candidates/plan',
      'POST /api/v1/scans',
      'POST /api/v1/merges',
    ]);
    expect(seen[11]!.body).toEqual({ database: 'sales', table: 'orders', catalog, partitions: ['dt=1'] });
    expect(seen[12]!.body).toEqual({ limit: 10, catalog });
    expect(seen[13]!.body).toBeUndefined();
    expect(seen[14]!.body).toEqual({ database: 'sales', table: 'orders' });
  });
});

describe('merge, policy and audit calls', () => {
  function recorder(answer: (method: string) => Response = () => json({ items: [], total: 0 })) {
    const seen: { line: string; body?: unknown; headers: Record<string, string> }[] = [];
    const c = new ShoalClient(undefined, async (input, init) => {
      seen.push({
        line: `${init?.method} ${input}`,
        body: init?.body === undefined ? undefined : JSON.parse(String(init.body)),
        headers: init?.headers as Record<string, string>,
      });
      return answer(init?.method ?? 'GET');
    }, () => '');
    return { c, seen };
  }

  it('builds the URL and body of every operation', async () => {
    const { c, seen } = recorder((m) => (m === 'DELETE' ? new Response(null, { status: 204 }) : json({ items: [], total: 0 })));
    await c.getAuth();
    await c.listAudit({ limit: 20, offset: 40 });
    await c.listPolicies();
    await c.putPolicy('*', { enabled: true, small_file_size: 16 << 20 });
    await c.putPolicy('sales.orders', { min_age: '72h', include: ['sales.*'] });
    expect(await c.deletePolicy('sales')).toBeUndefined();
    await c.getEffectivePolicy('sales.orders');
    await c.listCandidates({ limit: 25 });
    await c.listCandidates();
    await c.listMerges({ state: 'succeeded', database: 'sales', table: 'orders', limit: 50, offset: 100 });
    await c.listMerges();
    await c.planMerge({ database: 'sales', table: 'orders' });
    await c.planMerge({ database: 'sales', table: 'orders', partitions: [] });
    await c.planMerge({ database: 'my db', table: 't', partitions: ['dt=2026-11-01/h=0'], mode: 'rewrite' });
    await c.getMerge(12);
    await c.runMerge(12);
    await c.cancelMerge(12);
    await c.rollbackMerge(12);
    expect(seen.map((s) => s.line)).toEqual([
      'GET /api/v1/auth',
      'GET /api/v1/audit?limit=20&offset=40',
      'GET /api/v1/policies',
      'PUT /api/v1/policies/*',
      'PUT /api/v1/policies/sales.orders',
      'DELETE /api/v1/policies/sales',
      'GET /api/v1/policies/sales.orders/effective',
      'GET /api/v1/candidates?limit=25',
      'GET /api/v1/candidates',
      'GET /api/v1/merges?state=succeeded&database=sales&table=orders&limit=50&offset=100',
      'GET /api/v1/merges',
      'POST /api/v1/merges',
      'POST /api/v1/merges',
      'POST /api/v1/merges',
      'GET /api/v1/merges/12',
      'POST /api/v1/merges/12/run',
      'POST /api/v1/merges/12/cancel',
      'POST /api/v1/merges/12/rollback',
    ]);
    expect(seen[3]!.body).toEqual({ enabled: true, small_file_size: 16 << 20, scope: '*' });
    expect(seen[4]!.body).toEqual({ min_age: '72h', include: ['sales.*'], scope: 'sales.orders' });
    // No partitions: the whole table.
    expect(seen[11]!.body).toEqual({ database: 'sales', table: 'orders' });
    expect(seen[12]!.body).toEqual({ database: 'sales', table: 'orders' });
    expect(seen[13]!.body).toEqual({ database: 'my db', table: 't', partitions: ['dt=2026-11-01/h=0'], mode: 'rewrite' });
    expect(seen[11]!.headers).toEqual({ Accept: 'application/json', 'Content-Type': 'application/json' });
    expect(seen[15]!.body).toBeUndefined();
    expect(seen[15]!.headers).toEqual({ Accept: 'application/json' });
  });

  it('plans the top candidates with an optional limit', async () => {
    const { c, seen } = recorder();
    await c.planCandidates({ limit: 25 });
    await c.planCandidates();
    await c.planCandidates({ catalog: 'east' });
    expect(seen.map((s) => s.line)).toEqual([
      'POST /api/v1/candidates/plan',
      'POST /api/v1/candidates/plan',
      'POST /api/v1/candidates/plan',
    ]);
    expect(seen[0]!.body).toEqual({ limit: 25 });
    expect(seen[1]!.body).toEqual({});
    expect(seen[2]!.body).toEqual({ catalog: 'east' });
  });

  it('encodes scopes in the path', async () => {
    const { c, seen } = recorder();
    await c.putPolicy('a b', {});
    expect(seen[0]!.line).toBe('PUT /api/v1/policies/a%20b');
  });
});

describe('bearer token', () => {
  it('is sent with mutating calls only', async () => {
    const m = mockApi({
      'GET /merges/3': () => json(mergeJob({ id: 3 })),
      'POST /merges/3/run': () => json(mergeJob({ id: 3, state: 'queued' }), 202),
      'PUT /policies/*': () => json({ scope: '*' }),
      'DELETE /policies/*': () => new Response(null, { status: 204 }),
    });
    const token = 's3cret';
    const c = new ShoalClient(undefined, undefined, () => token);
    await c.getMerge(3);
    await c.runMerge(3);
    await c.putPolicy('*', { enabled: false });
    await c.deletePolicy('*');
    const auth = m.fn.mock.calls.map(([, init]) => (init?.headers as Record<string, string>).Authorization);
    expect(auth).toEqual([undefined, 'Bearer s3cret', 'Bearer s3cret', 'Bearer s3cret']);
  });

  it('is read from localStorage at each call by default', async () => {
    const m = mockApi({ 'POST /merges/1/cancel': () => json(mergeJob({ id: 1, state: 'cancelled' })) });
    const c = new ShoalClient();
    await c.cancelMerge(1);
    saveToken('  tok-1 ');
    expect(window.localStorage.getItem(TOKEN_STORAGE_KEY)).toBe('tok-1');
    expect(loadToken()).toBe('tok-1');
    await c.cancelMerge(1);
    saveToken('');
    expect(loadToken()).toBe('');
    await c.cancelMerge(1);
    const auth = m.fn.mock.calls.map(([, init]) => (init?.headers as Record<string, string>).Authorization);
    expect(auth).toEqual([undefined, 'Bearer tok-1', undefined]);
  });

  it('reports a 401 to the listeners and rejects with code unauthorized', async () => {
    mockApi({
      'POST /merges': () => json({ code: 'unauthorized', message: 'this server requires a bearer token for changes (auth.tokens)' }, 401),
    });
    const c = new ShoalClient(undefined, undefined, () => 'wrong');
    const seen: ApiError[] = [];
    const off = c.onUnauthorized((e) => seen.push(e));
    await expect(c.planMerge({ database: 'sales', table: 'orders' })).rejects.toMatchObject({
      code: 'unauthorized',
      status: 401,
      message: 'this server requires a bearer token for changes (auth.tokens)',
    });
    expect(seen).toHaveLength(1);
    off();
    await expect(c.planMerge({ database: 'sales', table: 'orders' })).rejects.toBeInstanceOf(ApiError);
    expect(seen).toHaveLength(1);
  });

  it('names a 401 without a JSON body', async () => {
    mockApi({ 'POST /merges/1/run': () => new Response('no', { status: 401 }) });
    await expect(new ShoalClient().runMerge(1)).rejects.toMatchObject({ code: 'unauthorized', status: 401 });
  });
});

describe('merge job helpers', () => {
  it('knows when a plan can run', () => {
    expect(isRunnable(plan())).toBe(true);
    expect(isRunnable(plan({ eligible: false }))).toBe(false);
    expect(isRunnable(plan({ partitions: [] }))).toBe(false);
    expect(isRunnable(plan({ partitions: null }))).toBe(false);
    expect(isRunnable(null)).toBe(false);
  });

  it('offers a rollback only with a swapped partition', () => {
    expect(canRollBack(mergeJob({ state: 'succeeded', results: [result('a')] }))).toBe(true);
    expect(canRollBack(mergeJob({ state: 'failed', results: [result('a'), result('b', { step: 'aborted' })] }))).toBe(true);
    expect(canRollBack(mergeJob({ state: 'failed', results: [result('a', { step: 'aborted' })] }))).toBe(false);
    expect(canRollBack(mergeJob({ state: 'succeeded', results: [result('a', { step: 'purged' })] }))).toBe(false);
    expect(canRollBack(mergeJob({ state: 'rolled_back', results: [result('a', { step: 'rolled_back' })] }))).toBe(false);
    expect(canRollBack(mergeJob({ state: 'running', results: [result('a')] }))).toBe(false);
    // Lists carry no results.
    expect(canRollBack(mergeJob({ state: 'succeeded', results: null }))).toBe(true);
    expect(canRollBack(mergeJob({ state: 'failed', results: null }))).toBe(false);
  });
});
