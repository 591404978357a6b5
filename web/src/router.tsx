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

/**
 * Query parameters that follow the user from page to page: the selected
 * catalog (cluster). Links and navigate() carry them over from the current
 * location unless the target names them itself.
 */
export const STICKY_PARAMS = ['catalog'] as const;

/** The sticky parameters of a query string ("?a=1"), as "k=v&…" in STICKY_PARAMS order. */
function stickyOf(search: string): [string, string][] {
  const q = new URLSearchParams(search);
  const out: [string, string][] = [];
  for (const k of STICKY_PARAMS) {
    const v = q.get(k);
    if (v) out.push([k, v]);
  }
  return out;
}

/**
 * Adds the sticky parameters of currentSearch to an in-app path that does
 * not set them; other targets (absolute URLs, #anchors) are left alone.
 */
export function withSticky(to: string, currentSearch: string): string {
  if (!to.startsWith('/') || to.startsWith('//')) return to;
  const sticky = stickyOf(currentSearch);
  if (sticky.length === 0) return to;
  const hash = to.indexOf('#');
  const base = hash >= 0 ? to.slice(0, hash) : to;
  const frag = hash >= 0 ? to.slice(hash) : '';
  const qi = base.indexOf('?');
  const path = qi >= 0 ? base.slice(0, qi) : base;
  const q = new URLSearchParams(qi >= 0 ? base.slice(qi + 1) : '');
  let changed = false;
  for (const [k, v] of sticky) {
    if (q.has(k)) continue;
    q.set(k, v);
    changed = true;
  }
  if (!changed) return to;
  return `${path}?${q.toString()}${frag}`;
}

/** The current value of a sticky parameter; components re-render when it changes. */
export function useStickyParam(name: (typeof STICKY_PARAMS)[number]): string | undefined {
  const href = useSyncExternalStore(subscribe, snapshot, snapshot);
  const q = href.indexOf('?');
  return (q >= 0 ? new URLSearchParams(href.slice(q + 1)).get(name) : null) || undefined;
}

export interface NavigateOptions {
  /** Replace the current history entry, so the back button does not stop at it. */
  replace?: boolean;
  /** Carry the sticky parameters (the catalog) over from the current location (default true). */
  sticky?: boolean;
}

/** Goes to a path within the app, keeping the selected catalog unless opts.sticky is false. */
export function navigate(to: string, opts: NavigateOptions = {}) {
  if (opts.sticky !== false) to = withSticky(to, window.location.search);
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

/**
 * An in-app link. Its href keeps the selected catalog (so that opening it in
 * a new tab does too) unless sticky is false or href names a catalog itself.
 */
export function Link({
  href,
  onClick,
  sticky = true,
  ...rest
}: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string; sticky?: boolean }) {
  const catalog = useStickyParam('catalog');
  const target = sticky && catalog ? withSticky(href, `?catalog=${encodeURIComponent(catalog)}`) : href;
  const handle = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    if (rest.target && rest.target !== '_self') return;
    e.preventDefault();
    navigate(target, { sticky: false });
  };
  return <a href={target} onClick={handle} {...rest} />;
}

/** The path of a table's detail page; with catalog, in that catalog rather than the selected one. */
export function tableHref(database: string, table: string, catalog?: string): string {
  const p = `/tables/${encodeURIComponent(database)}/${encodeURIComponent(table)}`;
  return catalog ? `${p}?catalog=${encodeURIComponent(catalog)}` : p;
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
