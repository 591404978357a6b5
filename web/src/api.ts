// A small typed client of Shoal's REST API. The types mirror the schemas of
// http/openapi.yaml field for field; keep them in step with the spec.

export const API_BASE = '/api/v1';

// ---- Schemas ---------------------------------------------------------------

/** Error: every non-2xx answer of the API. */
export interface ErrorBody {
  /** One of invalid, not_found, conflict, unavailable, not_implemented, internal. */
  code: string;
  message: string;
}

export const SCAN_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type ScanState = (typeof SCAN_STATES)[number];

export const FORMATS = [
  'unknown',
  'parquet',
  'orc',
  'avro',
  'text',
  'text+gzip',
  'sequencefile',
  'rcfile',
  'mixed',
] as const;
export type Format = (typeof FORMATS)[number];

export const SORT_KEYS = [
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
] as const;
export type SortKey = (typeof SORT_KEYS)[number];
/** PartitionSort: any sort key but `partitions`. */
export type PartitionSortKey = Exclude<SortKey, 'partitions'>;
export const PARTITION_SORT_KEYS = SORT_KEYS.filter(
  (k): k is PartitionSortKey => k !== 'partitions',
);

export type Order = 'asc' | 'desc';

/** The default direction of a sort key: `asc` for name, `desc` for metrics. */
export function defaultOrder(key: SortKey): Order {
  return key === 'name' ? 'asc' : 'desc';
}

/** 24 file counts on a fixed log2 scale (see histogram.ts). */
export type Histogram = number[];

export interface Thresholds {
  small_file_bytes: number;
  target_file_bytes: number;
  block_bytes: number;
}

export interface Progress {
  partitions_done: number;
  partitions_total: number;
  total_known: boolean;
  tables_done: number;
  tables_total: number;
  files: number;
  bytes: number;
  errors: number;
  /** Partitions per second. */
  rate: number;
  /** Estimated seconds left, absent when unknown. */
  eta_seconds?: number;
  /** 0 to 100. */
  percent: number;
}

export interface Totals {
  databases: number;
  tables: number;
  partitions: number;
  files: number;
  bytes: number;
  small_files: number;
  small_ratio: number;
  blocks: number;
  namenode_heap_bytes: number;
  files_after_merge: number;
  reducible_files: number;
  error_partitions: number;
  histogram: Histogram;
}

export interface Scan {
  id: number;
  catalog: string;
  state: ScanState;
  created_at: string;
  started_at?: string;
  finished_at?: string;
  duration_seconds: number;
  error?: string;
  thresholds: Thresholds;
  progress: Progress;
  totals: Totals;
}

export interface ScanList {
  items: Scan[];
  total: number;
}

export interface Summary {
  /** Null (or absent) before the first scan succeeds. */
  snapshot?: Scan | null;
  totals: Totals;
}

export interface DatabaseStats {
  name: string;
  tables: number;
  partitions: number;
  files: number;
  bytes: number;
  small_files: number;
  small_ratio: number;
  namenode_heap_bytes: number;
  reducible_files: number;
}

export interface DatabaseList {
  scan_id: number;
  items: DatabaseStats[];
}

export interface TableStats {
  database: string;
  table: string;
  location: string;
  format: Format;
  owner?: string;
  partitioned: boolean;
  transactional: boolean;
  /** Hive partitions; 0 for an unpartitioned table. */
  partitions: number;
  files: number;
  bytes: number;
  small_files: number;
  small_ratio: number;
  avg_size: number;
  min_size: number;
  max_size: number;
  oldest_mtime?: string;
  newest_mtime?: string;
  namenode_heap_bytes: number;
  files_after_merge: number;
  reducible_files: number;
  error_partitions: number;
  histogram: Histogram;
}

export interface TableList {
  scan_id: number;
  items: TableStats[];
  total: number;
}

export interface PartitionStats {
  database: string;
  table: string;
  /** Hive partition name, k1=v1/k2=v2; empty for an unpartitioned table. */
  spec: string;
  location: string;
  format: Format;
  files: number;
  bytes: number;
  small_files: number;
  small_ratio: number;
  avg_size: number;
  min_size: number;
  median_size: number;
  max_size: number;
  oldest_mtime?: string;
  newest_mtime?: string;
  namenode_heap_bytes: number;
  files_after_merge: number;
  reducible_files: number;
  histogram: Histogram;
  /** Why the partition could not be listed. */
  error?: string;
}

export interface PartitionList {
  scan_id: number;
  items: PartitionStats[];
  total: number;
}

export interface TrendPoint {
  scan_id: number;
  at: string;
  partitions: number;
  files: number;
  bytes: number;
  small_files: number;
  namenode_heap_bytes: number;
  reducible_files: number;
}

export interface Trend {
  database?: string;
  table?: string;
  items: TrendPoint[];
}

// ---- Query parameters ------------------------------------------------------

/** Page size bounds of list calls (Limit parameter). */
export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 1000;

export interface PageParams {
  limit?: number;
  offset?: number;
}

export interface ListScansParams extends PageParams {
  state?: ScanState;
}

export interface ListTablesParams extends PageParams {
  scan_id?: number;
  database?: string;
  search?: string;
  format?: Format;
  sort?: SortKey;
  order?: Order;
}

export interface ListPartitionsParams extends PageParams {
  scan_id?: number;
  search?: string;
  /** Only partitions whose listing failed. */
  errors?: boolean;
  sort?: PartitionSortKey;
  order?: Order;
}

export interface TrendParams {
  database?: string;
  table?: string;
  /** The newest points to return (default 30, at most 1000). */
  limit?: number;
}

export type QueryValue = string | number | boolean | null | undefined;

/**
 * Builds a query string ("" or "?a=1&b=x") from params in their given order.
 * Undefined, null, empty strings and false booleans are left out (false is
 * every boolean parameter's default).
 */
export function buildQuery(params: Record<string, QueryValue> | object = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params as Record<string, QueryValue>)) {
    if (v === undefined || v === null || v === '' || v === false) continue;
    if (typeof v === 'number' && !Number.isFinite(v)) continue;
    q.append(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

// ---- Errors ----------------------------------------------------------------

/** An error answer of the API, or a failure to reach it. */
export class ApiError extends Error {
  /** The API's error code, or "network" / "bad_response" for client-side failures. */
  readonly code: string;
  /** HTTP status, 0 when no answer arrived. */
  readonly status: number;

  constructor(code: string, message: string, status: number) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
  }
}

function isErrorBody(v: unknown): v is ErrorBody {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as ErrorBody).code === 'string' &&
    typeof (v as ErrorBody).message === 'string'
  );
}

function statusCode(status: number): string {
  switch (status) {
    case 400:
      return 'invalid';
    case 404:
      return 'not_found';
    case 409:
      return 'conflict';
    case 501:
      return 'not_implemented';
    case 503:
      return 'unavailable';
    default:
      return status >= 500 ? 'internal' : `http_${status}`;
  }
}

/** Turns any thrown value into a message to show to the user. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

// ---- Client ----------------------------------------------------------------

export type FetchFn = (input: string, init?: RequestInit) => Promise<Response>;

export interface RequestOptions {
  signal?: AbortSignal;
}

/** The client of one API origin; `api` below is the app's instance. */
export class ShoalClient {
  readonly base: string;
  private readonly fetchFn: FetchFn | undefined;

  /** fetchFn defaults to the global fetch, looked up at call time (tests mock it). */
  constructor(base: string = API_BASE, fetchFn?: FetchFn) {
    this.base = base.replace(/\/+$/, '');
    this.fetchFn = fetchFn;
  }

  url(path: string, params?: object): string {
    return this.base + path + buildQuery(params);
  }

  async request<T>(
    method: 'GET' | 'POST',
    path: string,
    params?: object,
    opts: RequestOptions = {},
  ): Promise<T> {
    const url = this.url(path, params);
    const f: FetchFn = this.fetchFn ?? ((i, init) => globalThis.fetch(i, init));
    let res: Response;
    try {
      res = await f(url, {
        method,
        headers: { Accept: 'application/json' },
        signal: opts.signal,
      });
    } catch (err) {
      if (err instanceof DOMException && err.name === 'AbortError') throw err;
      throw new ApiError('network', `Cannot reach the Shoal server: ${errorMessage(err)}`, 0);
    }
    const text = await res.text();
    let body: unknown = undefined;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
    }
    if (!res.ok) {
      if (isErrorBody(body)) throw new ApiError(body.code, body.message, res.status);
      const detail = text.trim().slice(0, 200) || res.statusText || 'no details';
      throw new ApiError(statusCode(res.status), `HTTP ${res.status}: ${detail}`, res.status);
    }
    if (body === undefined) {
      throw new ApiError(
        'bad_response',
        `Unexpected response from ${method} ${url}: not JSON`,
        res.status,
      );
    }
    return body as T;
  }

  getSummary(params: { scan_id?: number } = {}, opts?: RequestOptions): Promise<Summary> {
    return this.request('GET', '/summary', params, opts);
  }

  listScans(params: ListScansParams = {}, opts?: RequestOptions): Promise<ScanList> {
    return this.request('GET', '/scans', params, opts);
  }

  /** Starts a scan; rejects with ApiError code "conflict" (409) while one is queued or running. */
  startScan(opts?: RequestOptions): Promise<Scan> {
    return this.request('POST', '/scans', undefined, opts);
  }

  getScan(id: number, opts?: RequestOptions): Promise<Scan> {
    return this.request('GET', `/scans/${encodeURIComponent(id)}`, undefined, opts);
  }

  cancelScan(id: number, opts?: RequestOptions): Promise<Scan> {
    return this.request('POST', `/scans/${encodeURIComponent(id)}/cancel`, undefined, opts);
  }

  /** The URL of the scan's server-sent events (for EventSource). */
  scanEventsUrl(id: number): string {
    return this.url(`/scans/${encodeURIComponent(id)}/events`);
  }

  listDatabases(params: { scan_id?: number } = {}, opts?: RequestOptions): Promise<DatabaseList> {
    return this.request('GET', '/databases', params, opts);
  }

  listTables(params: ListTablesParams = {}, opts?: RequestOptions): Promise<TableList> {
    return this.request('GET', '/tables', params, opts);
  }

  getTable(
    database: string,
    table: string,
    params: { scan_id?: number } = {},
    opts?: RequestOptions,
  ): Promise<TableStats> {
    return this.request('GET', tablePath(database, table), params, opts);
  }

  listTablePartitions(
    database: string,
    table: string,
    params: ListPartitionsParams = {},
    opts?: RequestOptions,
  ): Promise<PartitionList> {
    return this.request('GET', `${tablePath(database, table)}/partitions`, params, opts);
  }

  listPartitions(params: ListPartitionsParams = {}, opts?: RequestOptions): Promise<PartitionList> {
    return this.request('GET', '/partitions', params, opts);
  }

  getTrend(params: TrendParams = {}, opts?: RequestOptions): Promise<Trend> {
    return this.request('GET', '/trends', params, opts);
  }
}

function tablePath(database: string, table: string): string {
  return `/tables/${encodeURIComponent(database)}/${encodeURIComponent(table)}`;
}

export function isFinalState(s: ScanState): boolean {
  return s === 'succeeded' || s === 'failed' || s === 'cancelled';
}

/** The app's client, on the same origin as the page. */
export const api = new ShoalClient();
