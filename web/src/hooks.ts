import { createContext, useContext, useEffect, useRef, useState } from 'react';

/**
 * Increments whenever a scan finishes, so that every useApi call refetches:
 * "all data on the page refreshes".
 */
export const DataVersionContext = createContext(0);

export interface ApiState<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/**
 * Runs fetcher when deps (or the data version) change, aborting the request
 * of the previous deps. While a new request runs, the previous data stays
 * shown; an error replaces it. With enabled false nothing is fetched.
 */
export function useApi<T>(
  fetcher: (signal: AbortSignal) => Promise<T>,
  deps: readonly unknown[],
  enabled = true,
): ApiState<T> {
  const version = useContext(DataVersionContext);
  const [nonce, setNonce] = useState(0);
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: enabled,
  });
  const fetcherRef = useRef(fetcher);
  fetcherRef.current = fetcher;

  useEffect(() => {
    if (!enabled) {
      setState({ data: undefined, error: undefined, loading: false });
      return;
    }
    const ac = new AbortController();
    setState((s) => ({ data: s.data, error: undefined, loading: true }));
    fetcherRef.current(ac.signal).then(
      (data) => {
        if (!ac.signal.aborted) setState({ data, error: undefined, loading: false });
      },
      (error: unknown) => {
        if (!ac.signal.aborted) setState({ data: undefined, error, loading: false });
      },
    );
    return () => ac.abort();
  }, [...deps, version, nonce, enabled]);

  return { ...state, reload: () => setNonce((n) => n + 1) };
}

/** value, updated only after it stayed unchanged for delay ms. */
export function useDebounced<T>(value: T, delay: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const id = setTimeout(() => setV(value), delay);
    return () => clearTimeout(id);
  }, [value, delay]);
  return v;
}
