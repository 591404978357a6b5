import { useAuth } from '../auth';
import { useCatalogs } from '../catalog';
import { CatalogSelector } from './CatalogSelector';
import { useI18n, type Lang, type MessageKey } from '../i18n';
import { Link, useLocation } from '../router';
import { useScan } from '../scan';

const SECTIONS: { id: string; href: string; label: MessageKey }[] = [
  { id: 'overview', href: '/', label: 'nav.overview' },
  { id: 'tables', href: '/tables', label: 'nav.tables' },
  { id: 'candidates', href: '/candidates', label: 'nav.candidates' },
  { id: 'merges', href: '/merges', label: 'nav.merges' },
  { id: 'policies', href: '/policies', label: 'nav.policies' },
  { id: 'audit', href: '/audit', label: 'nav.audit' },
];

/** The nav section of a path: the first segment, or overview for /. */
export function sectionOf(pathname: string): string {
  if (pathname === '/' || pathname === '') return 'overview';
  const first = pathname.split('/')[1] ?? '';
  return SECTIONS.some((s) => s.id === first) ? first : '';
}

export function Header() {
  const { t, lang, setLang } = useI18n();
  const { pathname } = useLocation();
  const { start, starting, active } = useScan();
  const auth = useAuth();
  const { unknown } = useCatalogs();
  const section = sectionOf(pathname);
  return (
    <header className="app-header">
      <div className="header-inner">
        <Link href="/" className="brand" aria-label="Shoal">
          <svg className="brand-mark" viewBox="0 0 32 32" aria-hidden="true">
            <rect width="32" height="32" rx="7" fill="#14395e" />
            <g fill="#4cc3ff">
              <circle cx="9" cy="20" r="3" />
              <circle cx="16" cy="13" r="2.2" />
              <circle cx="22" cy="20" r="3.4" />
              <circle cx="12" cy="9" r="1.4" />
              <circle cx="24" cy="10" r="1.8" />
            </g>
          </svg>
          <span className="brand-name">{t('app.name')}</span>
          <span className="brand-tagline">{t('app.tagline')}</span>
        </Link>
        <nav className="nav">
          {SECTIONS.map((s) => (
            <Link
              key={s.id}
              href={s.href}
              className={section === s.id ? 'active' : undefined}
              aria-current={section === s.id ? 'page' : undefined}
              data-testid={`nav-${s.id}`}
            >
              {t(s.label)}
            </Link>
          ))}
        </nav>
        <span className="spacer" />
        <CatalogSelector />
        {auth.required && (
          <button
            type="button"
            className={`btn btn-small btn-header${auth.token ? ' has-token' : ''}`}
            onClick={auth.prompting ? auth.closePrompt : auth.openPrompt}
            aria-expanded={auth.prompting}
            title={auth.token ? t('auth.tokenSet') : t('auth.tokenMissing')}
            data-testid="token-button"
          >
            <svg className="lock-icon" viewBox="0 0 16 16" aria-hidden="true">
              <rect x="3" y="7" width="10" height="7" rx="1.5" fill="currentColor" />
              <path d="M5 7V5a3 3 0 0 1 6 0v2" fill="none" stroke="currentColor" strokeWidth="1.6" />
            </svg>
            {t('auth.token')}
          </button>
        )}
        <label className="lang-switch">
          <span className="visually-hidden">{t('lang.label')}</span>
          <select
            value={lang}
            onChange={(e) => setLang(e.target.value as Lang)}
            data-testid="lang-switch"
            aria-label={t('lang.label')}
          >
            <option value="en">{t('lang.en')}</option>
            <option value="zh">{t('lang.zh')}</option>
          </select>
        </label>
        <button
          type="button"
          className="btn btn-primary"
          data-testid="scan-now"
          onClick={() => void start()}
          disabled={starting || active || unknown}
          aria-busy={starting || active}
        >
          {starting ? t('scan.starting') : t('scan.now')}
        </button>
      </div>
    </header>
  );
}
