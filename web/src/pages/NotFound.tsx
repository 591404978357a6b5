import { useI18n } from '../i18n';
import { Link } from '../router';

export function NotFound({ path }: { path: string }) {
  const { t } = useI18n();
  return (
    <div className="card empty-state" data-testid="not-found">
      <h2>{t('notFound.title')}</h2>
      <p>{t('notFound.body', { path })}</p>
      <p>
        <Link href="/">{t('nav.overview')}</Link>
      </p>
    </div>
  );
}
