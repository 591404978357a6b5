// A minimal client-side router on the History API. The Go server answers
// every non-API path with index.html, so /tables?sort=files is linkable, and
// the state of each view lives in the query string, so the back button works.

import { useEffect, useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react';

const listeners = new Set<() => void>();

function notify() {
  for (const l of listeners) l();
}

function subscribe(l: () => void): () => void {
  listeners.add(l);
  if (listeners.size === 1) window.addEventListener('popstate', notify);
  return () => {
    listeners.delete(l);
    if (listeners.size === 0) window.removeEventListener('popstate', notify);
  };
}

function snapshot(): string {
  return window.location.pathname + window.location.search;
}

export interface Location {
  pathname: string;
  search: string;
  query: URLSearchParams;
}

/** The current location; components re-render when it changes. */
export function useLocation(): Location {
  const href = useSyncExternalStore(subscribe, snapshot, snapshot);
  const u = new URL(href, 'http://x');
  return { pathname: u.pathname, search: u.search, query: u.searchParams };
}

/** Goes to a path within the app; replace keeps the back button from stopping at it. */
export function navigate(to: string, opts: { replace?: boolean } = {}) {
  if (to === snapshot()) return;
  if (opts.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  notify();
}

/** Sets query parameters on the current path; empty values remove them. */
export function withQuery(
  pathname: string,
  current: URLSearchParams,
  changes: Record<string, string | number | boolean | null | undefined>,
): string {
  const q = new URLSearchParams(current);
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined || v === null || v === '' || v === false) q.delete(k);
    else q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `${pathname}?${s}` : pathname;
}

export function Link({ href, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const handle = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    if (rest.target && rest.target !== '_self') return;
    e.preventDefault();
    navigate(href);
  };
  return <a href={href} onClick={handle} {...rest} />;
}

/** The path of a table's detail page. */
export function tableHref(database: string, table: string): string {
  return `/tables/${encodeURIComponent(database)}/${encodeURIComponent(table)}`;
}

/** The path of a merge job's page. */
export function mergeHref(id: number): string {
  return `/merges/${encodeURIComponent(id)}`;
}

export type Route =
  | { name: 'overview' }
  | { name: 'tables' }
  | { name: 'table'; database: string; table: string }
  | { name: 'merges' }
  | { name: 'merge'; id: number }
  | { name: 'candidates' }
  | { name: 'policies' }
  | { name: 'audit' }
  | { name: 'notFound'; path: string };

function decode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

export function matchRoute(pathname: string): Route {
  const p = pathname.replace(/\/+$/, '') || '/';
  if (p === '/') return { name: 'overview' };
  if (p === '/tables') return { name: 'tables' };
  if (p === '/merges') return { name: 'merges' };
  if (p === '/candidates') return { name: 'candidates' };
  if (p === '/policies') return { name: 'policies' };
  if (p === '/audit') return { name: 'audit' };
  const job = /^\/merges\/([1-9][0-9]{0,15})$/.exec(p);
  if (job) return { name: 'merge', id: Number(job[1]) };
  const m = /^\/tables\/([^/]+)\/([^/]+)$/.exec(p);
  if (m) {
    const database = decode(m[1] ?? '');
    const table = decode(m[2] ?? '');
    if (database !== undefined && table !== undefined) return { name: 'table', database, table };
  }
  return { name: 'notFound', path: pathname };
}

/** Scrolls to the top when the path (not the query) changes. */
export function useScrollTopOnPath(pathname: string) {
  useEffect(() => {
    window.scrollTo?.(0, 0);
  }, [pathname]);
}
