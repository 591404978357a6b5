import { useContext, useEffect, useRef } from 'react';
import { errorMessage, type CatalogInfo } from '../api';
import { catalogSwitchHref, useCatalogs } from '../catalog';
import { DataVersionContext } from '../hooks';
import { en, useI18n, type I18n, type MessageKey } from '../i18n';
import { Link } from '../router';

function kindLabel(kind: string, i: I18n): string {
  const key = `kind.${kind}`;
  return key in en ? i.t(key as MessageKey) : kind;
}

/** A health check's duration: milliseconds below 10 s, else a duration. */
export function latencyLabel(ms: number, i: I18n): string {
  if (ms < 10_000) return i.t('health.latency', { ms: i.decimal(ms, ms < 10 ? 1 : 0) });
  return i.duration(ms / 1000);
}

export interface CatalogHealthTableProps {
  catalogs: readonly CatalogInfo[];
  /** The catalog the dashboard shows, marked in the table. */
  current?: string;
}

/** Each catalog with its health badge, error, latency, databases, kind, sources, merges and latest scan. */
export function CatalogHealthTable({ catalogs, current }: CatalogHealthTableProps) {
  const i = useI18n();
  const { t } = i;
  if (catalogs.length === 0) {
    return (
      <p className="muted" data-testid="catalog-health-empty">
        {t('health.empty')}
      </p>
    );
  }
  return (
    <div className="table-wrap">
      <table className="data-table catalog-health-table" data-testid="catalog-health-table">
        <thead>
          <tr>
            <th>{t('col.catalog')}</th>
            <th>{t('col.status')}</th>
            <th>{t('col.kind')}</th>
            <th>{t('col.uri')}</th>
            <th className="num">{t('col.databases')}</th>
            <th className="num">{t('col.latency')}</th>
            <th>{t('col.merges')}</th>
            <th>{t('col.latestScan')}</th>
          </tr>
        </thead>
        <tbody>
          {catalogs.map((c, idx) => {
            const scan = c.latest_scan ?? undefined;
            const several = catalogs.length > 1;
            const shown = several && c.name === current;
            return (
              <tr
                key={c.name}
                className={shown ? 'is-current' : undefined}
                data-testid="catalog-health-row"
                data-catalog={c.name}
                data-healthy={String(c.healthy)}
                data-kind={c.kind}
              >
                <td className="name-cell">
                  <strong>{c.name}</strong>
                  {several && idx === 0 && <span className="badge badge-muted">{t('health.default')}</span>}
                  {shown && <span className="badge badge-current">{t('health.shown')}</span>}
                  {several && !shown && (
                    <Link
                      href={catalogSwitchHref('/', c.name)}
                      sticky={false}
                      className="catalog-show"
                      data-testid="catalog-show"
                    >
                      {t('health.show')}
                    </Link>
                  )}
                </td>
                <td>
                  <span
                    className={`pill ${c.healthy ? 'pill-succeeded' : 'pill-failed'}`}
                    data-testid="catalog-status"
                    data-healthy={String(c.healthy)}
                    title={t('health.checkedAt', { at: i.dateTime(c.checked_at) })}
                  >
                    {c.healthy ? t('health.healthy') : t('health.unhealthy')}
                  </span>
                  {!c.healthy && c.error && (
                    <div className="catalog-error text-bad" data-testid="catalog-error">
                      {c.error}
                    </div>
                  )}
                </td>
                <td data-testid="catalog-kind" data-value={c.kind}>
                  {kindLabel(c.kind, i)}
                </td>
                <td className="catalog-sources">
                  <code className="break" data-testid="catalog-uri">
                    {c.uri}
                  </code>
                  {c.files && (
                    <div data-testid="catalog-files" data-value={c.files}>
                      <span className="muted">{t('health.files')}:</span> <code className="break">{c.files}</code>
                    </div>
                  )}
                  {c.hiveserver && (
                    <div data-testid="catalog-hiveserver" data-value={c.hiveserver}>
                      <span className="muted">{t('health.hiveserver')}:</span> <code className="break">{c.hiveserver}</code>
                    </div>
                  )}
                </td>
                <td className="num" data-testid="catalog-databases" data-value={c.databases}>
                  {c.databases === undefined ? '—' : i.count(c.databases)}
                </td>
                <td className="num nowrap" data-testid="catalog-latency" data-value={c.latency_ms}>
                  {c.latency_ms === undefined ? '—' : latencyLabel(c.latency_ms, i)}
                </td>
                <td data-testid="catalog-merges" data-value={String(c.merges)} title={c.merges ? undefined : t('health.mergesNo')}>
                  {c.merges ? t('common.yes') : t('common.no')}
                </td>
                <td className="nowrap" data-testid="catalog-latest-scan" data-scan-id={scan?.id}>
                  {scan ? (
                    <>
                      <span className="muted">#{scan.id}</span> {i.dateTime(scan.finished_at ?? scan.created_at)}
                    </>
                  ) : (
                    <span className="muted">{t('health.noScan')}</span>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/**
 * The catalogs card of the overview. CatalogProvider polls the list every
 * 30 s; the card also refreshes it when a scan ends (its latest scan changed).
 */
export function CatalogHealthCard() {
  const { t } = useI18n();
  const { catalogs, error, current, reload } = useCatalogs();
  const version = useContext(DataVersionContext);
  const seen = useRef(version);
  useEffect(() => {
    if (seen.current === version) return;
    seen.current = version;
    reload();
  }, [version, reload]);

  return (
    <section className="card" data-testid="catalog-health" data-count={catalogs?.length}>
      <header className="card-head">
        <h2>{t('health.title')}</h2>
        <p className="card-hint">{t('health.hint')}</p>
      </header>
      {error !== undefined && (
        <div className="banner banner-error" role="alert" data-testid="catalog-health-error">
          <div className="banner-body">
            <span className="banner-message">{t('health.failed', { message: errorMessage(error) })}</span>
          </div>
          <button type="button" className="btn btn-small" onClick={reload}>
            {t('common.retry')}
          </button>
        </div>
      )}
      {catalogs ? (
        <CatalogHealthTable catalogs={catalogs} current={current?.name} />
      ) : (
        error === undefined && <div className="loading">{t('common.loading')}</div>
      )}
    </section>
  );
}
