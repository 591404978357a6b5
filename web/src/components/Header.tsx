import { useI18n, type Lang } from '../i18n';
import { Link, useLocation } from '../router';
import { useScan } from '../scan';

export function Header() {
  const { t, lang, setLang } = useI18n();
  const { pathname } = useLocation();
  const { start, starting, active } = useScan();
  const section = pathname.startsWith('/tables') ? 'tables' : pathname === '/' ? 'overview' : '';
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
          <Link href="/" className={section === 'overview' ? 'active' : undefined} aria-current={section === 'overview' ? 'page' : undefined} data-testid="nav-overview">
            {t('nav.overview')}
          </Link>
          <Link href="/tables" className={section === 'tables' ? 'active' : undefined} aria-current={section === 'tables' ? 'page' : undefined} data-testid="nav-tables">
            {t('nav.tables')}
          </Link>
        </nav>
        <span className="spacer" />
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
          disabled={starting || active}
          aria-busy={starting || active}
        >
          {starting ? t('scan.starting') : t('scan.now')}
        </button>
      </div>
    </header>
  );
}
