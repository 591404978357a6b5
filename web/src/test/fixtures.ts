import { vi } from 'vitest';
import type {
  CatalogInfo,
  EffectivePolicy,
  MergeJob,
  PartitionPlan,
  PartitionResult,
  PartitionStats,
  Plan,
  Scan,
  TableStats,
  Totals,
} from '../api';

export const MiB = 1 << 20;

export function histogram(fill: Record<number, number> = {}): number[] {
  return Array.from({ length: 24 }, (_, i) => fill[i] ?? 0);
}

export function totals(over: Partial<Totals> = {}): Totals {
  return {
    databases: 2,
    tables: 3,
    partitions: 40,
    files: 1234567,
    bytes: 5 * 2 ** 40,
    small_files: 654321,
    small_ratio: 654321 / 1234567,
    blocks: 50000,
    namenode_heap_bytes: 300 * MiB,
    files_after_merge: 1000,
    reducible_files: 1233567,
    error_partitions: 0,
    histogram: histogram({ 3: 10, 15: 5 }),
    ...over,
  };
}

export function scan(over: Partial<Scan> = {}): Scan {
  return {
    id: 7,
    catalog: 'warehouse:///data/wh',
    state: 'running',
    created_at: '2026-11-21T10:00:00Z',
    started_at: '2026-11-21T10:00:01Z',
    duration_seconds: 12.5,
    thresholds: { small_file_bytes: 16 * MiB, target_file_bytes: 128 * MiB, block_bytes: 128 * MiB },
    progress: {
      partitions_done: 25,
      partitions_total: 100,
      total_known: true,
      tables_done: 1,
      tables_total: 3,
      files: 5000,
      bytes: 3 * MiB,
      errors: 0,
      rate: 12.5,
      eta_seconds: 6,
      percent: 25,
    },
    totals: totals(),
    ...over,
  };
}

export function catalogInfo(name: string, over: Partial<CatalogInfo> = {}): CatalogInfo {
  return {
    name,
    uri: `thrift://${name}-hms:9083`,
    kind: 'thrift',
    healthy: true,
    latency_ms: 12.4,
    checked_at: '2026-11-21T10:05:00Z',
    databases: 4,
    merges: true,
    ...over,
  };
}

export function table(database: string, name: string, over: Partial<TableStats> = {}): TableStats {
  return {
    database,
    table: name,
    location: `/wh/${database}.db/${name}`,
    format: 'parquet',
    partitioned: true,
    transactional: false,
    partitions: 12,
    files: 1500,
    bytes: 3 * 2 ** 30,
    small_files: 1200,
    small_ratio: 0.8,
    avg_size: 2 * MiB,
    min_size: 10,
    max_size: 200 * MiB,
    newest_mtime: '2026-11-20T08:00:00Z',
    oldest_mtime: '2026-01-01T00:00:00Z',
    namenode_heap_bytes: 450000,
    files_after_merge: 25,
    reducible_files: 1475,
    error_partitions: 0,
    histogram: histogram({ 5: 1200, 18: 300 }),
    ...over,
  };
}

export function partition(spec: string, over: Partial<PartitionStats> = {}): PartitionStats {
  return {
    database: 'sales',
    table: 'orders',
    spec,
    location: `/wh/sales.db/orders/${spec}`,
    format: 'orc',
    files: 100,
    bytes: 100 * MiB,
    small_files: 90,
    small_ratio: 0.9,
    avg_size: MiB,
    min_size: 1,
    median_size: MiB,
    max_size: 10 * MiB,
    namenode_heap_bytes: 30000,
    files_after_merge: 1,
    reducible_files: 99,
    histogram: histogram({ 11: 100 }),
    ...over,
  };
}

export function effectivePolicy(over: Partial<EffectivePolicy> = {}): EffectivePolicy {
  return {
    enabled: true,
    small_file_size: 16 * MiB,
    target_file_size: 128 * MiB,
    min_age: '24h0m0s',
    max_bytes_per_job: 64 * 2 ** 30,
    max_bytes_per_run: 512 * 2 ** 30,
    mode: 'auto',
    row_group_size: 128 * MiB,
    sources: ['default', 'sales'],
    ...over,
  };
}

export function partitionPlan(spec: string, over: Partial<PartitionPlan> = {}): PartitionPlan {
  return {
    partition: spec,
    location: `/wh/sales.db/orders/${spec}`,
    format: 'parquet',
    eligible: true,
    mode: 'concat',
    mode_reason: 'row groups are large enough',
    files_before: 120,
    files_after: 2,
    bytes_before: 200 * MiB,
    bytes_to_rewrite: 150 * MiB,
    rows: 1000000,
    groups: [
      { output: 'part-00000.parquet', inputs: ['part-00000.parquet', 'part-00001.parquet', 'part-00002.parquet'], bytes: 100 * MiB, rows: 600000, bucket: -1 },
      { output: 'part-00003.parquet', inputs: ['part-00003.parquet', 'part-00004.parquet'], bytes: 50 * MiB, rows: 400000, bucket: -1 },
    ],
    score: 71.25,
    estimated_seconds: 12,
    ...over,
  };
}

export function plan(over: Partial<Plan> = {}): Plan {
  return {
    database: 'sales',
    table: 'orders',
    format: 'parquet',
    mode: 'auto',
    policy: effectivePolicy(),
    eligible: true,
    partitions: [
      partitionPlan('dt=2026-11-01'),
      partitionPlan('dt=2026-11-20', {
        eligible: false,
        reason: 'not cold yet: last change 2h ago, min_age 24h',
        mode: undefined,
        mode_reason: undefined,
        files_after: 40,
        files_before: 40,
        bytes_to_rewrite: 0,
        groups: null,
        score: 0,
        estimated_seconds: 0,
      }),
    ],
    files_before: 120,
    files_after: 2,
    bytes_to_rewrite: 150 * MiB,
    estimated_seconds: 12,
    created_at: '2026-11-21T10:00:00Z',
    ...over,
  };
}

export function result(spec: string, over: Partial<PartitionResult> = {}): PartitionResult {
  return {
    index: 0,
    partition: spec,
    location: `/wh/sales.db/orders/${spec}`,
    step: 'swapped',
    mode: 'concat',
    swap: 'rename',
    files_before: 120,
    files_after: 2,
    bytes_before: 150 * MiB,
    bytes_after: 149 * MiB,
    rows_before: 1000000,
    rows_after: 1000000,
    validation: 'rows 1000000 = 1000000, schema identical',
    expires_at: '2026-11-28T10:00:00Z',
    started_at: '2026-11-21T10:01:00Z',
    ended_at: '2026-11-21T10:01:42Z',
    ...over,
  };
}

export function mergeJob(over: Partial<MergeJob> = {}): MergeJob {
  return {
    id: 12,
    state: 'planned',
    database: 'sales',
    table: 'orders',
    catalog: 'warehouse:///data/wh',
    created_by: 'anonymous',
    created_at: '2026-11-21T10:00:00Z',
    plan: plan(),
    progress: { files_done: 0, files_total: 0, bytes_done: 0, bytes_total: 0 },
    results: [],
    ...over,
  };
}

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

type Handler = (url: URL, init: RequestInit | undefined) => Response | Promise<Response>;

/**
 * Stubs the global fetch with a router of "METHOD /path" handlers (path
 * without the /api/v1 prefix) and records every request URL.
 */
export function mockApi(routes: Record<string, Handler>) {
  const calls: { method: string; url: URL }[] = [];
  const fn = vi.fn(async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input), 'http://shoal.test');
    const method = (init?.method ?? 'GET').toUpperCase();
    calls.push({ method, url });
    const path = url.pathname.replace(/^\/api\/v1/, '');
    const h = routes[`${method} ${path}`];
    if (!h) return json({ code: 'not_found', message: `no mock for ${method} ${path}` }, 404);
    return h(url, init);
  });
  vi.stubGlobal('fetch', fn);
  return {
    fn,
    calls,
    /** Requests to a path, newest last. */
    requests: (method: string, path: string) =>
      calls.filter((c) => c.method === method && c.url.pathname === `/api/v1${path}`).map((c) => c.url),
  };
}
