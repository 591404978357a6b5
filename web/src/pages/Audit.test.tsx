import { render, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { I18nProvider } from '../i18n';
import { json, mockApi } from '../test/fixtures';
import { Audit } from './Audit';

describe('Audit', () => {
  it('lists the audit log with who, what and when, paged on the server', async () => {
    window.history.replaceState(null, '', '/audit?offset=50');
    const m = mockApi({
      'GET /audit': () =>
        json({
          items: [
            { id: 3, at: '2026-11-21T10:00:00Z', actor: 'token:ops', action: 'POST merges/{id}/rollback', target: '/api/v1/merges/7/rollback', detail: 'OK' },
            { id: 2, at: '2026-11-21T09:00:00Z', actor: 'anonymous', action: 'PUT policies/sales', target: '/api/v1/policies/sales' },
          ],
          total: 52,
        }),
    });
    render(
      <I18nProvider lang="en">
        <Audit />
      </I18nProvider>,
    );
    await waitFor(() => expect(screen.getAllByTestId('audit-row')).toHaveLength(2));
    const rows = screen.getAllByTestId('audit-row');
    expect(rows[0]!.getAttribute('data-action')).toBe('POST merges/{id}/rollback');
    expect(rows[0]!.textContent).toContain('token:ops');
    expect(rows[1]!.textContent).toContain('/api/v1/policies/sales');
    const req = m.requests('GET', '/audit')[0]!;
    expect(req.searchParams.get('offset')).toBe('50');
    expect(req.searchParams.get('limit')).toBe('50');
    expect(screen.getByTestId('audit-pager')).toBeTruthy();
  });

  it('says so when nothing was changed yet', async () => {
    window.history.replaceState(null, '', '/audit');
    mockApi({ 'GET /audit': () => json({ items: [], total: 0 }) });
    render(
      <I18nProvider lang="zh">
        <Audit />
      </I18nProvider>,
    );
    expect(await screen.findByText('尚未通过 API 进行任何变更。')).toBeTruthy();
  });
});
