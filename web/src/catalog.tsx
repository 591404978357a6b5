// The catalog (cluster) the dashboard shows. Its name lives in the URL as
// ?catalog=NAME, so links and reloads keep it (router.tsx carries it from
// page to page); without it the server answers for its first catalog. The
// list of catalogs and their health comes from GET /catalogs, polled every
// HEALTH_POLL_MS (the server caches each check for 30 s).

import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { api as defaultApi, type CatalogInfo, type ShoalClient } from './api';
import { matchRoute, navigate, useStickyParam, withQuery } from './router';

/** The query parameter that selects the catalog. */
export const CATALOG_PARAM = 'catalog';

/** How often the catalogs' health is refreshed. */
export const HEALTH_POLL_MS = 30_000;

/** The catalog named in the URL, undefined for the server's default (the first). */
export function useCatalogParam(): string | undefined {
  return useStickyParam('catalog');
}

export interface CatalogState {
  /** Every configured catalog in configuration order; undefined until the first answer. */
  catalogs: CatalogInfo[] | undefined;
  /** The error of the last GET /catalogs, until one succeeds. */
  error: unknown;
  loading: boolean;
  /** The catalog named in the URL (?catalog=), undefined when none is named. */
  selected: string | undefined;
  /** The catalog shown: the one named in the URL, or the first one. */
  current: CatalogInfo | undefined;
  /** The URL names a catalog the server does not have. */
  unknown: boolean;
  /** Fetches the list (and health) again now. */
  reload: () => void;
}

const CatalogContext = createContext<CatalogState>({
  catalogs: undefined,
  error: undefined,
  loading: false,
  selected: undefined,
  current: undefined,
  unknown: false,
  reload: () => {},
});

/** The catalogs and the selected one (pages under no provider get the URL's name only). */
export function useCatalogs(): CatalogState {
  const ctx = useContext(CatalogContext);
  const selected = useCatalogParam();
  return ctx.selected === selected ? ctx : { ...ctx, selected };
}

/** Resolves the catalog shown: the URL's name, else the first configured one. */
export function resolveCatalog(
  catalogs: readonly CatalogInfo[] | undefined,
  selected: string | undefined,
): { current: CatalogInfo | undefined; unknown: boolean } {
  if (!catalogs) return { current: undefined, unknown: false };
  if (!selected) return { current: catalogs[0], unknown: false };
  const current = catalogs.find((c) => c.name === selected);
  return { current, unknown: !current };
}

/**
 * The URL that shows another catalog from the current page (name undefined:
 * the default one). List pages keep their path but drop their filters, which
 * belong to the old catalog; a table or merge job goes back to its list.
 */
export function catalogSwitchHref(pathname: string, name: string | undefined): string {
  const route = matchRoute(pathname);
  const path = route.name === 'table' ? '/tables' : route.name === 'merge' ? '/merges' : pathname;
  return withQuery(path, new URLSearchParams(), { [CATALOG_PARAM]: name });
}

/** Shows another catalog; switching reloads every view's data (their requests name the catalog). */
export function switchCatalog(pathname: string, name: string | undefined) {
  navigate(catalogSwitchHref(pathname, name), { sticky: false });
}

export interface CatalogProviderProps {
  children: ReactNode;
  client?: ShoalClient;
  pollMs?: number;
}

export function CatalogProvider({ children, client = defaultApi, pollMs = HEALTH_POLL_MS }: CatalogProviderProps) {
  const selected = useCatalogParam();
  const [catalogs, setCatalogs] = useState<CatalogInfo[]>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const [nonce, setNonce] = useState(0);
  const live = useRef<AbortController | undefined>(undefined);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const tick = async () => {
      const ac = new AbortController();
      live.current = ac;
      setLoading(true);
      try {
        const list = await client.listCatalogs({ signal: ac.signal });
        if (stopped) return;
        setCatalogs(list.items ?? []);
        setError(undefined);
      } catch (err) {
        if (stopped) return;
        // Keep the last list: a failed poll should not hide the selector.
        setError(err);
      } finally {
        if (!stopped) {
          setLoading(false);
          timer = setTimeout(() => void tick(), pollMs);
        }
      }
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
      live.current?.abort();
    };
  }, [client, pollMs, nonce]);

  const reload = useCallback(() => setNonce((n) => n + 1), []);
  const value = useMemo<CatalogState>(() => {
    const { current, unknown } = resolveCatalog(catalogs, selected);
    return { catalogs, error, loading, selected, current, unknown, reload };
  }, [catalogs, error, loading, selected, reload]);
  return <CatalogContext.Provider value={value}>{children}</CatalogContext.Provider>;
}

/** name when the server has a catalog by that name (a job or scan of an old or removed catalog has not). */
export function knownCatalog(catalogs: readonly CatalogInfo[] | undefined, name: string | undefined): string | undefined {
  return name && catalogs?.some((c) => c.name === name) ? name : undefined;
}
