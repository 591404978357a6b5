import { createContext, useCallback, useContext, useEffect, useRef, useState } from 'react';

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

export type Outcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

export interface Action<A extends unknown[], R> {
  /** Runs the action; never rejects. */
  run: (...args: A) => Promise<Outcome<R>>;
  busy: boolean;
  /** The error of the last run, until the next run or clear(). */
  error: unknown;
  clear: () => void;
}

/**
 * A mutating call started by the user (a button): whether it is in flight
 * and its last error. Nothing is set after the component unmounted.
 */
export function useAction<A extends unknown[], R>(fn: (...args: A) => Promise<R>): Action<A, R> {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  const run = useCallback(async (...args: A): Promise<Outcome<R>> => {
    setBusy(true);
    setError(undefined);
    try {
      return { ok: true, value: await fnRef.current(...args) };
    } catch (err) {
      if (mounted.current) setError(err);
      return { ok: false, error: err };
    } finally {
      if (mounted.current) setBusy(false);
    }
  }, []);
  const clear = useCallback(() => setError(undefined), []);
  return { run, busy, error, clear };
}
