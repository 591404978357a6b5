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

// ---- Catalogs ----------------------------------------------------------------

export const CATALOG_KINDS = ['warehouse', 'thrift', 'hmsdb'] as const;
/** warehouse (a local directory), thrift (the Hive Metastore) or hmsdb (its backend database, read-only). */
export type CatalogKind = (typeof CATALOG_KINDS)[number];

/** A configured catalog (cluster) and the health of its connection. */
export interface CatalogInfo {
  name: string;
  /** The catalog URI without credentials. */
  uri: string;
  kind: CatalogKind;
  /** fsimage:// when scans read an offline fsimage instead of the file system. */
  files?: string;
  /** HiveServer2 or Kyuubi URI for merges delegated to the cluster, without credentials. */
  hiveserver?: string;
  healthy: boolean;
  /** Why the last health check failed. */
  error?: string;
  /** Duration of the last health check. */
  latency_ms?: number;
  checked_at: string;
  /** Databases listed by the last successful check. */
  databases?: number;
  /** Whether this server can merge in this catalog. */
  merges: boolean;
  /** The newest succeeded scan of the catalog. */
  latest_scan?: Scan | null;
}

/** GET /catalogs: in configuration order, the first is the default. */
export interface CatalogList {
  items: CatalogInfo[];
}

/** The catalog (cluster) parameter of most calls, by name; the first configured one when omitted. */
export interface CatalogParam {
  catalog?: string;
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

// ---- Merges, policies, audit ------------------------------------------------

export const MERGE_STATES = ['planned', 'queued', 'running', 'succeeded', 'failed', 'cancelled', 'rolled_back'] as const;
export type MergeState = (typeof MERGE_STATES)[number];

export const MERGE_MODES = ['auto', 'concat', 'rewrite'] as const;
export type MergeMode = (typeof MERGE_MODES)[number];

/** The steps of the journaled swap of one partition, in order. */
export const SWAP_STEPS = [
  'pending',
  'staging',
  'validated',
  'rename_to_backup',
  'rename_staging',
  'relocate',
  'swapped',
  'aborted',
  'failed',
  'rollback',
  'rollback_restore',
  'rolled_back',
  'purged',
] as const;
export type SwapStep = (typeof SWAP_STEPS)[number];

/** GET /auth: whether mutating calls need a bearer token. */
export interface AuthInfo {
  required: boolean;
}

/** Input files merged into one output file (named after the first input). */
export interface MergeGroup {
  output: string;
  inputs: string[];
  bytes: number;
  rows: number;
  /** Hive bucket number of the inputs, -1 for a table that is not bucketed. */
  bucket: number;
}

export interface PlanFile {
  name: string;
  size: number;
  mtime: string;
}

/** The plan of one partition. */
export interface PartitionPlan {
  /** Hive partition name; empty for an unpartitioned table. */
  partition: string;
  location: string;
  format: Format;
  eligible: boolean;
  /** Why the partition is not eligible. */
  reason?: string;
  mode?: MergeMode;
  mode_reason?: string;
  files_before: number;
  files_after: number;
  bytes_before: number;
  bytes_to_rewrite: number;
  rows: number;
  groups?: MergeGroup[] | null;
  listing?: PlanFile[] | null;
  header_lines?: number;
  score: number;
  estimated_seconds: number;
}

/** The policy that applies to one table, every field resolved. */
export interface EffectivePolicy {
  enabled: boolean;
  small_file_size: number;
  target_file_size: number;
  /** A Go duration string, e.g. "24h0m0s". */
  min_age: string;
  include?: string[] | null;
  exclude?: string[] | null;
  max_bytes_per_job: number;
  max_bytes_per_run: number;
  mode: MergeMode;
  row_group_size: number;
  /** The scopes that contributed, widest first ("default" for the configuration). */
  sources: string[] | null;
}

/** A merge plan for partitions of one table; totals are over the eligible partitions. */
export interface Plan {
  database: string;
  table: string;
  format: Format;
  mode: MergeMode;
  policy: EffectivePolicy;
  /** False when the whole table is refused; reason says why. */
  eligible: boolean;
  reason?: string;
  partitions: PartitionPlan[] | null;
  files_before: number;
  files_after: number;
  bytes_to_rewrite: number;
  estimated_seconds: number;
  created_at: string;
}

/** The outcome of one partition of a merge job. */
export interface PartitionResult {
  index: number;
  partition: string;
  location: string;
  step: SwapStep;
  mode: MergeMode;
  swap: string;
  staging?: string;
  backup?: string;
  files_before: number;
  files_after: number;
  bytes_before: number;
  bytes_after: number;
  rows_before: number;
  rows_after: number;
  after?: PlanFile[] | null;
  validation?: string;
  error?: string;
  /** When the backup may be purged. */
  expires_at?: string;
  started_at?: string;
  ended_at?: string;
}

export interface MergeProgress {
  files_done: number;
  files_total: number;
  bytes_done: number;
  bytes_total: number;
}

export interface MergeJob {
  id: number;
  state: MergeState;
  database: string;
  table: string;
  catalog?: string;
  created_by: string;
  created_at: string;
  started_at?: string;
  finished_at?: string;
  plan: Plan | null;
  progress: MergeProgress;
  /** Per-partition results; null in lists. */
  results: PartitionResult[] | null;
  error?: string;
}

export interface MergeJobList {
  items: MergeJob[];
  total: number;
}

/** POST /merges: a table, or some of its partitions (all when empty). */
export interface PlanRequest {
  /** The catalog; the first configured one when omitted. */
  catalog?: string;
  database: string;
  table: string;
  partitions?: string[];
  mode?: MergeMode;
}

/**
 * Score of a merge candidate, 0 to 100:
 * 100 × (0.45·f + 0.25·h + 0.20·coldness + 0.10·s).
 */
export interface Score {
  value: number;
  files_removed: number;
  heap_saved: number;
  coldness: number;
  f: number;
  h: number;
  s: number;
}

export interface Candidate {
  database: string;
  table: string;
  partition: string;
  format?: Format;
  files: number;
  small_files: number;
  bytes: number;
  reducible_files: number;
  newest_mtime?: string;
  score: Score;
}

export interface CandidateList {
  items: Candidate[];
}

/** Merge settings of a scope (*, a database or database.table); absent fields inherit. */
export interface Policy {
  scope: string;
  enabled?: boolean;
  small_file_size?: number;
  target_file_size?: number;
  /** A Go duration string, e.g. "72h". */
  min_age?: string;
  include?: string[];
  exclude?: string[];
  max_bytes_per_job?: number;
  max_bytes_per_run?: number;
  mode?: MergeMode;
  row_group_size?: number;
  updated_at?: string;
  updated_by?: string;
}

export interface PolicyList {
  defaults: EffectivePolicy;
  items: Policy[];
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  detail?: string;
}

export interface AuditList {
  items: AuditEntry[];
  total: number;
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

export interface ListTablesParams extends PageParams, CatalogParam {
  scan_id?: number;
  database?: string;
  search?: string;
  format?: Format;
  sort?: SortKey;
  order?: Order;
}

export interface ListPartitionsParams extends PageParams, CatalogParam {
  scan_id?: number;
  search?: string;
  /** Only partitions whose listing failed. */
  errors?: boolean;
  sort?: PartitionSortKey;
  order?: Order;
}

export interface TrendParams extends CatalogParam {
  database?: string;
  table?: string;
  /** The newest points to return (default 30, at most 1000). */
  limit?: number;
}

export interface ListMergesParams extends PageParams {
  /** Only the jobs of this catalog; every catalog when omitted. */
  catalog?: string;
  state?: MergeState;
  database?: string;
  table?: string;
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
    case 401:
      return 'unauthorized';
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

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** Where the bearer token for mutating calls is remembered. */
export const TOKEN_STORAGE_KEY = 'shoal.token';

/** The remembered bearer token, '' when none (or storage is blocked). */
export function loadToken(): string {
  try {
    return globalThis.localStorage?.getItem(TOKEN_STORAGE_KEY) ?? '';
  } catch {
    return '';
  }
}

/** Remembers the bearer token; '' forgets it. */
export function saveToken(token: string): void {
  try {
    const t = token.trim();
    if (t) globalThis.localStorage?.setItem(TOKEN_STORAGE_KEY, t);
    else globalThis.localStorage?.removeItem(TOKEN_STORAGE_KEY);
  } catch {
    // Not remembered when storage is blocked.
  }
}

/** Whether a call changes state, and so needs the bearer token when auth is required. */
export function isMutating(method: Method): boolean {
  return method !== 'GET';
}

/** The client of one API origin; `api` below is the app's instance. */
export class ShoalClient {
  readonly base: string;
  private readonly fetchFn: FetchFn | undefined;
  private readonly getToken: () => string;
  private readonly unauthorizedListeners = new Set<(err: ApiError) => void>();

  /**
   * fetchFn defaults to the global fetch, looked up at call time (tests mock
   * it); getToken to the token remembered in localStorage, read at each call.
   */
  constructor(base: string = API_BASE, fetchFn?: FetchFn, getToken: () => string = loadToken) {
    this.base = base.replace(/\/+$/, '');
    this.fetchFn = fetchFn;
    this.getToken = getToken;
  }

  /** Calls fn whenever a request is refused with 401; returns the unsubscribe function. */
  onUnauthorized(fn: (err: ApiError) => void): () => void {
    this.unauthorizedListeners.add(fn);
    return () => {
      this.unauthorizedListeners.delete(fn);
    };
  }

  /** The headers of a request: JSON, and the bearer token on mutating calls when one is set. */
  headers(method: Method, hasBody: boolean): Record<string, string> {
    const h: Record<string, string> = { Accept: 'application/json' };
    if (hasBody) h['Content-Type'] = 'application/json';
    if (isMutating(method)) {
      const token = this.getToken().trim();
      if (token) h.Authorization = `Bearer ${token}`;
    }
    return h;
  }

  url(path: string, params?: object): string {
    return this.base + path + buildQuery(params);
  }

  async request<T>(
    method: Method,
    path: string,
    params?: object,
    opts: RequestOptions = {},
    payload?: unknown,
  ): Promise<T> {
    const url = this.url(path, params);
    const f: FetchFn = this.fetchFn ?? ((i, init) => globalThis.fetch(i, init));
    const hasBody = payload !== undefined;
    const init: RequestInit = {
      method,
      headers: this.headers(method, hasBody),
      signal: opts.signal,
    };
    if (hasBody) init.body = JSON.stringify(payload);
    let res: Response;
    try {
      res = await f(url, init);
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
      let err: ApiError;
      if (isErrorBody(body)) {
        err = new ApiError(body.code, body.message, res.status);
      } else {
        const detail = text.trim().slice(0, 200) || res.statusText || 'no details';
        err = new ApiError(statusCode(res.status), `HTTP ${res.status}: ${detail}`, res.status);
      }
      if (res.status === 401) for (const fn of [...this.unauthorizedListeners]) fn(err);
      throw err;
    }
    // 204 No Content (DELETE) has no body by design.
    if (res.status === 204) return undefined as T;
    if (body === undefined) {
      throw new ApiError(
        'bad_response',
        `Unexpected response from ${method} ${url}: not JSON`,
        res.status,
      );
    }
    return body as T;
  }

  /** The configured catalogs and their health (checked at most every 30 s by the server). */
  listCatalogs(opts?: RequestOptions): Promise<CatalogList> {
    return this.request('GET', '/catalogs', undefined, opts);
  }

  getSummary(params: CatalogParam & { scan_id?: number } = {}, opts?: RequestOptions): Promise<Summary> {
    return this.request('GET', '/summary', params, opts);
  }

  listScans(params: ListScansParams = {}, opts?: RequestOptions): Promise<ScanList> {
    return this.request('GET', '/scans', params, opts);
  }

  /**
   * Starts a scan of a catalog (the first one when omitted); rejects with
   * ApiError code "conflict" (409) while one of that catalog is queued or running.
   */
  startScan(params: CatalogParam = {}, opts?: RequestOptions): Promise<Scan> {
    return this.request('POST', '/scans', params, opts);
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

  listDatabases(params: CatalogParam & { scan_id?: number } = {}, opts?: RequestOptions): Promise<DatabaseList> {
    return this.request('GET', '/databases', params, opts);
  }

  listTables(params: ListTablesParams = {}, opts?: RequestOptions): Promise<TableList> {
    return this.request('GET', '/tables', params, opts);
  }

  getTable(
    database: string,
    table: string,
    params: CatalogParam & { scan_id?: number } = {},
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

  // ---- Merges, policies, audit ----

  /** Whether mutating calls need a bearer token. */
  getAuth(opts?: RequestOptions): Promise<AuthInfo> {
    return this.request('GET', '/auth', undefined, opts);
  }

  listAudit(params: PageParams = {}, opts?: RequestOptions): Promise<AuditList> {
    return this.request('GET', '/audit', params, opts);
  }

  /** The configured defaults and every stored policy, global first. */
  listPolicies(opts?: RequestOptions): Promise<PolicyList> {
    return this.request('GET', '/policies', undefined, opts);
  }

  /** Creates or replaces the policy of a scope: *, a database or database.table. */
  putPolicy(scope: string, policy: Omit<Policy, 'scope'> & { scope?: string }, opts?: RequestOptions): Promise<Policy> {
    return this.request('PUT', policyPath(scope), undefined, opts, { ...policy, scope });
  }

  deletePolicy(scope: string, opts?: RequestOptions): Promise<void> {
    return this.request('DELETE', policyPath(scope), undefined, opts);
  }

  /** The policy that applies to one table; scope is database.table. */
  getEffectivePolicy(scope: string, params: CatalogParam = {}, opts?: RequestOptions): Promise<EffectivePolicy> {
    return this.request('GET', `${policyPath(scope)}/effective`, params, opts);
  }

  /** The partitions most worth merging, best first. */
  listCandidates(params: CatalogParam & { limit?: number } = {}, opts?: RequestOptions): Promise<CandidateList> {
    return this.request('GET', '/candidates', params, opts);
  }

  /**
   * Plans one job per table for the best candidates, until the bytes to
   * rewrite reach the global max_bytes_per_run. The jobs stay planned.
   */
  planCandidates(
    req: CatalogParam & { limit?: number } = {},
    opts?: RequestOptions,
  ): Promise<{ items: MergeJob[]; bytes_to_rewrite: number }> {
    const body: CatalogParam & { limit?: number } = {};
    if (req.limit) body.limit = req.limit;
    if (req.catalog) body.catalog = req.catalog;
    return this.request('POST', '/candidates/plan', undefined, opts, body);
  }

  listMerges(params: ListMergesParams = {}, opts?: RequestOptions): Promise<MergeJobList> {
    return this.request('GET', '/merges', params, opts);
  }

  /** Plans a merge; the job is created in state planned, nothing changes yet. */
  planMerge(req: PlanRequest, opts?: RequestOptions): Promise<MergeJob> {
    const body: PlanRequest = { database: req.database, table: req.table };
    if (req.catalog) body.catalog = req.catalog;
    if (req.partitions && req.partitions.length > 0) body.partitions = req.partitions;
    if (req.mode) body.mode = req.mode;
    return this.request('POST', '/merges', undefined, opts, body);
  }

  getMerge(id: number, opts?: RequestOptions): Promise<MergeJob> {
    return this.request('GET', mergePath(id), undefined, opts);
  }

  /** Queues a planned job; 409 unless planned or while the table has another active job. */
  runMerge(id: number, opts?: RequestOptions): Promise<MergeJob> {
    return this.request('POST', `${mergePath(id)}/run`, undefined, opts);
  }

  cancelMerge(id: number, opts?: RequestOptions): Promise<MergeJob> {
    return this.request('POST', `${mergePath(id)}/cancel`, undefined, opts);
  }

  /** Restores the originals; 409 (nothing changed) when a partition changed since or its backup was purged. */
  rollbackMerge(id: number, opts?: RequestOptions): Promise<MergeJob> {
    return this.request('POST', `${mergePath(id)}/rollback`, undefined, opts);
  }
}

function mergePath(id: number): string {
  return `/merges/${encodeURIComponent(id)}`;
}

function policyPath(scope: string): string {
  return `/policies/${encodeURIComponent(scope)}`;
}

function tablePath(database: string, table: string): string {
  return `/tables/${encodeURIComponent(database)}/${encodeURIComponent(table)}`;
}

export function isFinalState(s: ScanState): boolean {
  return s === 'succeeded' || s === 'failed' || s === 'cancelled';
}

/** Whether a merge job is waiting for or doing work (its progress moves). */
export function isActiveMerge(s: MergeState): boolean {
  return s === 'queued' || s === 'running';
}

/** Whether a merge job may have swapped partitions that a rollback restores. */
export function canRollBack(job: Pick<MergeJob, 'state' | 'results'>): boolean {
  if (job.state !== 'succeeded' && job.state !== 'failed') return false;
  // Lists carry no results: offer the rollback of a succeeded job and let the server decide.
  if (!job.results) return job.state === 'succeeded';
  return job.results.some((r) => r.step === 'swapped');
}

/** Whether a plan has a partition to merge. */
export function isRunnable(plan: Plan | null | undefined): boolean {
  return !!plan && plan.eligible && (plan.partitions ?? []).some((p) => p.eligible);
}

/** The app's client, on the same origin as the page. */
export const api = new ShoalClient();
