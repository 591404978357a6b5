import { useEffect, useState, type FormEvent } from 'react';
import { useAuth } from '../auth';
import { useI18n } from '../i18n';

/**
 * Above every page: the demo-mode warning when the API is open, or the
 * bearer-token field when the server needs one and it was asked for.
 */
export function AuthBanner() {
  const { t } = useI18n();
  const { required, token, setToken, prompting, refused, closePrompt } = useAuth();
  const [text, setText] = useState(token);
  useEffect(() => {
    if (prompting) setText(token);
  }, [prompting, token]);

  if (required === false) {
    return (
      <div className="banner banner-demo" role="note" data-testid="demo-banner">
        <span className="banner-icon" aria-hidden="true">
          !
        </span>
        <div className="banner-body">
          <strong>{t('auth.demo')}</strong>
        </div>
      </div>
    );
  }
  if (!required || !prompting) return null;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setToken(text);
  };
  return (
    <form className="banner banner-auth" onSubmit={submit} data-testid="token-form" role={refused ? 'alert' : undefined}>
      <span className="banner-icon" aria-hidden="true">
        !
      </span>
      <div className="banner-body">
        <strong>{refused ? t('auth.refused') : t('auth.required')}</strong>
        <span className="muted">{t('auth.tokenHint')}</span>
      </div>
      <label className="token-field">
        <span className="visually-hidden">{t('auth.token')}</span>
        <input
          type="password"
          autoComplete="off"
          value={text}
          placeholder={t('auth.tokenPlaceholder')}
          aria-label={t('auth.token')}
          onChange={(e) => setText(e.target.value)}
          data-testid="token-input"
          autoFocus
        />
      </label>
      <button type="submit" className="btn btn-small btn-primary" data-testid="token-save">
        {t('auth.save')}
      </button>
      {token && (
        <button type="button" className="btn btn-small" onClick={() => setToken('')} data-testid="token-forget">
          {t('auth.forget')}
        </button>
      )}
      <button type="button" className="btn btn-small btn-ghost" onClick={closePrompt}>
        {t('common.dismiss')}
      </button>
    </form>
  );
}
