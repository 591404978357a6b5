// Whether the server needs a bearer token for changes (GET /auth), the
// token remembered in this browser, and the prompt for it: opened by hand
// from the header, or by any mutating call that the server refuses with 401.

import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api as defaultApi, loadToken, saveToken, type ShoalClient } from './api';

export interface AuthControl {
  /** undefined until GET /auth answered (or when it failed). */
  required: boolean | undefined;
  /** The remembered token, '' when none. */
  token: string;
  setToken: (token: string) => void;
  /** Whether the token field is shown. */
  prompting: boolean;
  /** True when the prompt opened because the server refused a change (401). */
  refused: boolean;
  openPrompt: () => void;
  closePrompt: () => void;
}

const AuthContext = createContext<AuthControl>({
  required: undefined,
  token: '',
  setToken: () => {},
  prompting: false,
  refused: false,
  openPrompt: () => {},
  closePrompt: () => {},
});

export function useAuth(): AuthControl {
  return useContext(AuthContext);
}

export function AuthProvider({ children, client = defaultApi }: { children: ReactNode; client?: ShoalClient }) {
  const [required, setRequired] = useState<boolean>();
  const [token, setTokenState] = useState(loadToken);
  const [prompting, setPrompting] = useState(false);
  const [refused, setRefused] = useState(false);

  useEffect(() => {
    const ac = new AbortController();
    client.getAuth({ signal: ac.signal }).then(
      (a) => setRequired(!!a.required),
      () => {
        // An older server without /auth: say nothing rather than guess.
      },
    );
    return () => ac.abort();
  }, [client]);

  useEffect(
    () =>
      client.onUnauthorized(() => {
        setRequired(true);
        setRefused(true);
        setPrompting(true);
      }),
    [client],
  );

  const setToken = useCallback((t: string) => {
    saveToken(t);
    setTokenState(t.trim());
    setPrompting(false);
    setRefused(false);
  }, []);
  const openPrompt = useCallback(() => setPrompting(true), []);
  const closePrompt = useCallback(() => {
    setPrompting(false);
    setRefused(false);
  }, []);

  const value = useMemo<AuthControl>(
    () => ({ required, token, setToken, prompting, refused, openPrompt, closePrompt }),
    [required, token, setToken, prompting, refused, openPrompt, closePrompt],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}
