import { ApiError, errorMessage } from '../api';
import { useI18n } from '../i18n';

/** Shows an API error ({code, message}) or any other failure; never hides it. */
export function ErrorBanner({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useI18n();
  if (!error) return null;
  const code = error instanceof ApiError ? error.code : undefined;
  return (
    <div className="banner banner-error" role="alert" data-testid="api-error" data-code={code}>
      <span className="banner-icon" aria-hidden="true">!</span>
      <div className="banner-body">
        <strong>{t('common.error')}</strong>
        {code && <code className="banner-code">{code}</code>}
        <span className="banner-message">{errorMessage(error)}</span>
      </div>
      {onRetry && (
        <button type="button" className="btn btn-small" onClick={onRetry}>
          {t('common.retry')}
        </button>
      )}
    </div>
  );
}
