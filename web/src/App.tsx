import type { ReactNode } from 'react';
import { AuthProvider } from './auth';
import { CatalogProvider, useCatalogs } from './catalog';
import { AuthBanner } from './components/AuthBanner';
import { CatalogGate } from './components/CatalogSelector';
import { Header } from './components/Header';
import { ScanProgress } from './components/ScanProgress';
import { I18nProvider } from './i18n';
import { Candidates } from './pages/Candidates';
import { MergeJobPage } from './pages/MergeJob';
import { Merges } from './pages/Merges';
import { NotFound } from './pages/NotFound';
import { Overview } from './pages/Overview';
import { Audit } from './pages/Audit';
import { Policies } from './pages/Policies';
import { TableDetail } from './pages/TableDetail';
import { Tables } from './pages/Tables';
import { matchRoute, useLocation, useScrollTopOnPath } from './router';
import { ScanProvider, useScan } from './scan';

function ScanStrip() {
  const { scan, error, notice, cancel, dismiss } = useScan();
  if (!scan && !error) return null;
  return (
    <div className="scan-strip">
      <ScanProgress scan={scan} error={error} notice={notice} onCancel={() => void cancel()} onDismiss={dismiss} />
    </div>
  );
}

function Routes() {
  const { pathname } = useLocation();
  useScrollTopOnPath(pathname);
  const route = matchRoute(pathname);
  switch (route.name) {
    case 'overview':
      return <Overview />;
    case 'tables':
      return <Tables />;
    case 'table':
      // Keyed so that moving between tables starts from a clean state.
      return <TableDetail key={`${route.database}\u0000${route.table}`} database={route.database} table={route.table} />;
    case 'merges':
      return <Merges />;
    case 'merge':
      return <MergeJobPage key={route.id} id={route.id} />;
    case 'candidates':
      return <Candidates />;
    case 'policies':
      return <Policies />;
    case 'audit':
      return <Audit />;
    default:
      return <NotFound path={route.path} />;
  }
}

/**
 * Scans follow the catalog shown. With several catalogs, the running scan
 * followed must be the shown one's; with one (or before the list arrives)
 * any running scan is, and "Scan now" names the catalog only when the URL does.
 */
function CatalogScanProvider({ children }: { children: ReactNode }) {
  const { catalogs, current, selected } = useCatalogs();
  const catalog = catalogs && catalogs.length > 1 ? (current?.name ?? selected) : selected;
  return <ScanProvider catalog={catalog}>{children}</ScanProvider>;
}

export function App() {
  return (
    <I18nProvider>
      <AuthProvider>
        <CatalogProvider>
          <CatalogScanProvider>
            <Header />
            <main className="main">
              <AuthBanner />
              <ScanStrip />
              <CatalogGate>
                <Routes />
              </CatalogGate>
            </main>
          </CatalogScanProvider>
        </CatalogProvider>
      </AuthProvider>
    </I18nProvider>
  );
}
