import type { ReactNode } from 'react';
import { catalogSwitchHref, switchCatalog, useCatalogs } from '../catalog';
import { useI18n } from '../i18n';
import { Link, useLocation } from '../router';

/**
 * The catalog (cluster) shown, in the header: a select with two or more
 * catalogs, the name alone with one, nothing before the list arrives.
 */
export function CatalogSelector() {
  const { t } = useI18n();
  const { pathname } = useLocation();
  const { catalogs, current, selected, unknown } = useCatalogs();
  if (!catalogs || catalogs.length === 0) return null;
  if (catalogs.length === 1 && !unknown) {
    const only = catalogs[0]!;
    return (
      <span
        className="catalog-single"
        title={only.uri}
        aria-label={t('catalog.single', { name: only.name })}
        data-testid="catalog-name"
        data-catalog={only.name}
      >
        {only.name}
      </span>
    );
  }
  const value = unknown ? (selected ?? '') : (current?.name ?? '');
  return (
    <label className="catalog-switch">
      <span className="catalog-switch-label">{t('catalog.label')}</span>
      <select
        value={value}
        onChange={(e) => switchCatalog(pathname, e.target.value || undefined)}
        aria-label={t('catalog.select')}
        data-testid="catalog-select"
        data-unknown={unknown || undefined}
      >
        {unknown && selected && (
          <option value={selected} disabled>
            {t('catalog.optionUnknown', { name: selected })}
          </option>
        )}
        {catalogs.map((c) => (
          <option key={c.name} value={c.name} title={c.uri}>
            {c.healthy ? c.name : t('catalog.optionUnhealthy', { name: c.name })}
          </option>
        ))}
      </select>
    </label>
  );
}

/** The page shown instead of any view when the URL names a catalog the server does not have. */
export function UnknownCatalog({ name }: { name: string }) {
  const { t } = useI18n();
  const { pathname } = useLocation();
  const { catalogs } = useCatalogs();
  const names = (catalogs ?? []).map((c) => c.name);
  return (
    <div className="card unknown-catalog" role="alert" data-testid="unknown-catalog" data-catalog={name}>
      <h1>{t('catalog.unknownTitle')}</h1>
      <p>{t('catalog.unknown', { name })}</p>
      <p className="muted" data-testid="known-catalogs">
        {names.length > 0 ? t('catalog.known', { names: names.join(', ') }) : t('catalog.noneConfigured')}
      </p>
      <p>
        <Link
          href={catalogSwitchHref(pathname, undefined)}
          sticky={false}
          className="btn btn-primary"
          data-testid="catalog-default-link"
        >
          {t('catalog.backToDefault')}
          {names[0] ? ` (${names[0]})` : ''}
        </Link>
      </p>
    </div>
  );
}

/**
 * Renders the views only for a catalog the server has: an unknown name
 * shows UnknownCatalog, and a named catalog waits for the list. Should the
 * list fail, the views go ahead and the API says what it thinks of the name.
 */
export function CatalogGate({ children }: { children: ReactNode }) {
  const { t } = useI18n();
  const { catalogs, error, selected, unknown } = useCatalogs();
  if (unknown && selected) return <UnknownCatalog name={selected} />;
  if (selected && !catalogs && !error) return <div className="loading">{t('common.loading')}</div>;
  return <>{children}</>;
}
