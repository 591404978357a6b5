import { api, DEFAULT_LIMIT, MAX_LIMIT, type AuditEntry } from '../api';
import { ErrorBanner } from '../components/ErrorBanner';
import { Pager } from '../components/Pager';
import { StatsTable, type Column } from '../components/StatsTable';
import { useApi } from '../hooks';
import { useI18n } from '../i18n';
import { navigate, useLocation, withQuery } from '../router';
import { intParam } from './query';

const COLUMNS: Column<AuditEntry>[] = [
  { id: 'at', label: 'col.when', className: 'nowrap', render: (r, i) => i.dateTime(r.at) },
  { id: 'actor', label: 'col.actor', render: (r) => r.actor },
  { id: 'action', label: 'col.action', render: (r) => <code>{r.action}</code> },
  { id: 'target', label: 'col.target', className: 'wrap-cell', render: (r) => <code>{r.target}</code> },
  { id: 'detail', label: 'col.result', render: (r) => r.detail || '—' },
];

/** The audit log: every change made through the API, newest first. */
export function Audit() {
  const { t } = useI18n();
  const { pathname, query } = useLocation();
  const limit = intParam(query, 'limit', DEFAULT_LIMIT, 1, MAX_LIMIT);
  const offset = intParam(query, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
  const log = useApi((signal) => api.listAudit({ limit, offset }, { signal }), [limit, offset]);
  const total = log.data?.total ?? 0;
  return (
    <div className="page" data-testid="audit-page">
      <div className="page-head">
        <h1>{t('audit.title')}</h1>
        <p className="page-sub">{t('audit.hint')}</p>
      </div>
      <section className="card">
        <ErrorBanner error={log.error} onRetry={log.reload} />
        <StatsTable
          testId="audit-table"
          columns={COLUMNS}
          rows={log.data?.items ?? []}
          rowKey={(r) => String(r.id)}
          rowProps={(r) => ({ 'data-testid': 'audit-row', 'data-action': r.action })}
          empty={log.error ? '' : t('audit.empty')}
          loading={log.loading}
        />
        {total > 0 && (
          <Pager
            total={total}
            limit={limit}
            offset={offset}
            testId="audit-pager"
            onChange={(off, lim) =>
              navigate(withQuery(pathname, query, { offset: off || undefined, limit: lim === DEFAULT_LIMIT ? undefined : lim }))
            }
          />
        )}
      </section>
    </div>
  );
}
