// Reading the list state of a page from its query string, with defaults and
// validation, so that hand-edited or stale links still work.
import { DEFAULT_LIMIT, defaultOrder, MAX_LIMIT, type Order } from '../api';

export function intParam(q: URLSearchParams, name: string, def: number, min: number, max: number): number {
  const raw = q.get(name);
  if (raw === null || raw.trim() === '') return def;
  const n = Number(raw);
  if (!Number.isFinite(n)) return def;
  return Math.min(max, Math.max(min, Math.trunc(n)));
}

export function enumParam<T extends string>(q: URLSearchParams, name: string, allowed: readonly T[], def: T): T;
export function enumParam<T extends string>(q: URLSearchParams, name: string, allowed: readonly T[], def?: undefined): T | undefined;
export function enumParam<T extends string>(q: URLSearchParams, name: string, allowed: readonly T[], def?: T): T | undefined {
  const raw = q.get(name);
  return raw !== null && (allowed as readonly string[]).includes(raw) ? (raw as T) : def;
}

export interface ListState<S extends string> {
  sort: S;
  order: Order;
  limit: number;
  offset: number;
  search: string;
}

export function listState<S extends string>(q: URLSearchParams, keys: readonly S[], defSort: S): ListState<S> {
  const sort = enumParam(q, 'sort', keys, defSort);
  return {
    sort,
    order: enumParam(q, 'order', ['asc', 'desc'] as const, defaultOrder(sort as never)),
    limit: intParam(q, 'limit', DEFAULT_LIMIT, 1, MAX_LIMIT),
    offset: intParam(q, 'offset', 0, 0, Number.MAX_SAFE_INTEGER),
    search: (q.get('search') ?? '').slice(0, 256),
  };
}
