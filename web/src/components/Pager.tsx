import { MAX_LIMIT } from '../api';
import { useI18n } from '../i18n';

export const PAGE_SIZES = [25, 50, 100, 200, 500, 1000];

export interface PagerProps {
  total: number;
  limit: number;
  offset: number;
  onChange: (offset: number, limit: number) => void;
  testId?: string;
}

/** Server-side paging: the shown range, page size and previous/next. */
export function Pager({ total, limit, offset, onChange, testId = 'pager' }: PagerProps) {
  const i = useI18n();
  const { t } = i;
  const from = total === 0 ? 0 : Math.min(offset + 1, total);
  const to = Math.min(offset + limit, total);
  const page = Math.floor(offset / limit) + 1;
  const pages = Math.max(1, Math.ceil(total / limit));
  const sizes = PAGE_SIZES.includes(limit) ? PAGE_SIZES : [...PAGE_SIZES, limit].sort((a, b) => a - b);
  return (
    <div className="pager" data-testid={testId} data-total={total}>
      <span className="pager-range" data-testid={`${testId}-range`}>
        {t('pager.range', { from: i.count(from), to: i.count(to), total: i.count(total) })}
      </span>
      <span className="spacer" />
      <label className="pager-size">
        {t('pager.pageSize')}
        <select
          value={limit}
          onChange={(e) => onChange(0, Math.min(MAX_LIMIT, Number(e.target.value)))}
          data-testid={`${testId}-size`}
        >
          {sizes.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <span className="pager-page">{t('pager.page', { page: i.count(page), pages: i.count(pages) })}</span>
      <div className="btn-group">
        <button type="button" className="btn btn-small" disabled={offset === 0} onClick={() => onChange(0, limit)}>
          {t('pager.first')}
        </button>
        <button
          type="button"
          className="btn btn-small"
          disabled={offset === 0}
          onClick={() => onChange(Math.max(0, offset - limit), limit)}
          data-testid={`${testId}-prev`}
        >
          {t('pager.prev')}
        </button>
        <button
          type="button"
          className="btn btn-small"
          disabled={offset + limit >= total}
          onClick={() => onChange(offset + limit, limit)}
          data-testid={`${testId}-next`}
        >
          {t('pager.next')}
        </button>
      </div>
    </div>
  );
}
