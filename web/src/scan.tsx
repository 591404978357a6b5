// The scan the page follows: starting one ("Scan now"), following its
// progress over server-sent events (falling back to polling when the stream
// fails), and bumping the data version when it finishes so every view
// refetches.

import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { api as defaultApi, ApiError, errorMessage, isFinalState, type Scan, type ShoalClient } from './api';
import { DataVersionContext } from './hooks';
import type { MessageKey, Vars } from './i18n';

export interface Message {
  key: MessageKey;
  vars?: Vars;
}

export type FollowMode = 'idle' | 'stream' | 'poll';

export interface ScanControl {
  /** The scan followed (the latest started or found running); kept after it ends until dismissed. */
  scan: Scan | undefined;
  /** True while POST /scans is in flight. */
  starting: boolean;
  /** True while the followed scan is queued or running. */
  active: boolean;
  mode: FollowMode;
  error: Message | undefined;
  notice: Message | undefined;
  start: () => Promise<void>;
  cancel: () => Promise<void>;
  dismiss: () => void;
  dataVersion: number;
}

const noop = async () => {};

const ScanContext = createContext<ScanControl>({
  scan: undefined,
  starting: false,
  active: false,
  mode: 'idle',
  error: undefined,
  notice: undefined,
  start: noop,
  cancel: noop,
  dismiss: () => {},
  dataVersion: 0,
});

export function useScan(): ScanControl {
  return useContext(ScanContext);
}

/** Polling interval when the event stream is not available. */
export const POLL_MS = 1000;
/** How long the event stream may stay silent before the scan is checked directly. */
export const WATCHDOG_MS = 10_000;

function parseScan(data: unknown): Scan | undefined {
  if (typeof data !== 'string') return undefined;
  try {
    const s = JSON.parse(data) as Scan;
    return typeof s === 'object' && s !== null && typeof s.id === 'number' ? s : undefined;
  } catch {
    return undefined;
  }
}

/** How many queued or running scans are looked at to find the selected catalog's. */
export const ACTIVE_LOOKUP = 100;

export interface ScanProviderProps {
  children: ReactNode;
  client?: ShoalClient;
  /**
   * The catalog "Scan now" scans and whose running scan is followed. When
   * undefined, the server's default catalog is scanned and any running scan
   * is followed (a server with a single catalog).
   */
  catalog?: string;
  /** Look for a queued or running scan on mount (default true). */
  detectActive?: boolean;
  pollMs?: number;
  watchdogMs?: number;
}

export function ScanProvider({
  children,
  client = defaultApi,
  catalog,
  detectActive = true,
  pollMs = POLL_MS,
  watchdogMs = WATCHDOG_MS,
}: ScanProviderProps) {
  const [scan, setScan] = useState<Scan>();
  const [starting, setStarting] = useState(false);
  const [mode, setMode] = useState<FollowMode>('idle');
  const [error, setError] = useState<Message>();
  const [notice, setNotice] = useState<Message>();
  const [dataVersion, setDataVersion] = useState(0);

  // Each follow() gets a generation; callbacks of older generations do nothing.
  const gen = useRef(0);
  const stopRef = useRef<() => void>(() => {});

  const stop = useCallback(() => {
    gen.current++;
    stopRef.current();
    stopRef.current = () => {};
    setMode('idle');
  }, []);

  const finish = useCallback(
    (s: Scan) => {
      stop();
      setScan(s);
      if (s.state === 'failed') setError({ key: 'scan.failed', vars: { message: s.error || s.state } });
      setDataVersion((v) => v + 1);
    },
    [stop],
  );

  const poll = useCallback(
    (id: number) => {
      const g = gen.current;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const ac = new AbortController();
      stopRef.current = () => {
        clearTimeout(timer);
        ac.abort();
      };
      setMode('poll');
      const tick = async () => {
        try {
          const s = await client.getScan(id, { signal: ac.signal });
          if (g !== gen.current) return;
          setScan(s);
          setError(undefined);
          if (isFinalState(s.state)) {
            finish(s);
            return;
          }
        } catch (err) {
          if (g !== gen.current) return;
          setError({ key: 'scan.followFailed', vars: { id, message: errorMessage(err) } });
          // A scan that no longer exists will not come back.
          if (err instanceof ApiError && err.code === 'not_found') {
            stop();
            return;
          }
        }
        timer = setTimeout(tick, pollMs);
      };
      void tick();
    },
    [client, finish, pollMs, stop],
  );

  const follow = useCallback(
    (initial: Scan) => {
      stop();
      setScan(initial);
      if (isFinalState(initial.state)) {
        finish(initial);
        return;
      }
      const ES = globalThis.EventSource;
      if (typeof ES !== 'function') {
        poll(initial.id);
        return;
      }
      const g = gen.current;
      const es = new ES(client.scanEventsUrl(initial.id));
      // The server only sends an event when the scan changes. Should a proxy
      // hold the stream back, a quiet spell triggers a check of the scan.
      let lastEvent = Date.now();
      const ac = new AbortController();
      const watchdog = setInterval(() => {
        if (g !== gen.current || Date.now() - lastEvent < watchdogMs) return;
        lastEvent = Date.now();
        client.getScan(initial.id, { signal: ac.signal }).then(
          (s) => {
            if (g !== gen.current) return;
            if (isFinalState(s.state)) finish(s);
            else setScan(s);
          },
          () => {}, // The stream stays the source of truth; its errors switch to polling.
        );
      }, Math.min(1000, watchdogMs));
      stopRef.current = () => {
        es.close();
        clearInterval(watchdog);
        ac.abort();
      };
      setMode('stream');
      es.addEventListener('progress', (ev) => {
        if (g !== gen.current) return;
        lastEvent = Date.now();
        const s = parseScan((ev as MessageEvent).data);
        if (s) setScan(s);
      });
      es.addEventListener('done', (ev) => {
        if (g !== gen.current) return;
        lastEvent = Date.now();
        es.close();
        const s = parseScan((ev as MessageEvent).data);
        if (s && isFinalState(s.state)) {
          finish(s);
        } else {
          // A done event without a final scan: ask for the scan itself.
          stop();
          poll(initial.id);
        }
      });
      es.onerror = () => {
        if (g !== gen.current) return;
        // EventSource would reconnect on its own; poll instead, which also
        // works behind proxies that break streaming.
        stop();
        setNotice({ key: 'scan.polling' });
        poll(initial.id);
      };
    },
    [client, finish, poll, stop, watchdogMs],
  );

  const findActive = useCallback(async (): Promise<Scan | undefined> => {
    for (const state of ['running', 'queued'] as const) {
      if (catalog === undefined) {
        const list = await client.listScans({ state, limit: 1 });
        if (list.items[0]) return list.items[0];
      } else {
        // GET /scans has no catalog filter; scans of several catalogs may run at once.
        const list = await client.listScans({ state, limit: ACTIVE_LOOKUP });
        const mine = list.items.find((s) => s.catalog === catalog);
        if (mine) return mine;
      }
    }
    return undefined;
  }, [client, catalog]);

  const start = useCallback(async () => {
    setStarting(true);
    setError(undefined);
    setNotice(undefined);
    try {
      const s = await client.startScan(catalog === undefined ? {} : { catalog });
      follow(s);
    } catch (err) {
      if (err instanceof ApiError && (err.status === 409 || err.code === 'conflict')) {
        try {
          const active = await findActive();
          if (active) {
            setNotice({ key: 'scan.alreadyRunning' });
            follow(active);
          } else {
            // It finished between our POST and the look-up.
            setDataVersion((v) => v + 1);
          }
        } catch (err2) {
          setError({ key: 'scan.startFailed', vars: { message: errorMessage(err2) } });
        }
      } else {
        setError({ key: 'scan.startFailed', vars: { message: errorMessage(err) } });
      }
    } finally {
      setStarting(false);
    }
  }, [client, catalog, findActive, follow]);

  const cancel = useCallback(async () => {
    if (!scan) return;
    try {
      const s = await client.cancelScan(scan.id);
      if (isFinalState(s.state)) finish(s);
      else setScan(s);
    } catch (err) {
      setError({ key: 'scan.followFailed', vars: { id: scan.id, message: errorMessage(err) } });
    }
  }, [client, finish, scan]);

  const dismiss = useCallback(() => {
    if (scan && !isFinalState(scan.state)) return;
    setScan(undefined);
    setError(undefined);
    setNotice(undefined);
  }, [scan]);

  // Switching to another catalog leaves the scan of the previous one alone.
  const scanRef = useRef<Scan | undefined>(undefined);
  scanRef.current = scan;
  useEffect(() => {
    const s = scanRef.current;
    if (s && catalog !== undefined && s.catalog !== catalog) {
      stop();
      setScan(undefined);
      setError(undefined);
      setNotice(undefined);
    }
  }, [catalog, stop]);

  // Follow a scan that is already under way when the page loads (or the catalog changes).
  useEffect(() => {
    if (!detectActive) return;
    let live = true;
    findActive().then(
      (s) => {
        if (live && s) follow(s);
      },
      (err: unknown) => {
        if (live) setError({ key: 'scan.detectFailed', vars: { message: errorMessage(err) } });
      },
    );
    return () => {
      live = false;
    };
  }, [detectActive, findActive, follow]);

  // Stop streaming or polling on unmount.
  useEffect(() => () => stop(), [stop]);

  const active = !!scan && !isFinalState(scan.state);
  const value = useMemo<ScanControl>(
    () => ({ scan, starting, active, mode, error, notice, start, cancel, dismiss, dataVersion }),
    [scan, starting, active, mode, error, notice, start, cancel, dismiss, dataVersion],
  );
  return (
    <ScanContext.Provider value={value}>
      <DataVersionContext.Provider value={dataVersion}>{children}</DataVersionContext.Provider>
    </ScanContext.Provider>
  );
}
