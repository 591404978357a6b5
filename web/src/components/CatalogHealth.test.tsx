import { render, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { CatalogInfo } from '../api';
import { CatalogProvider } from '../catalog';
import { I18nProvider, type Lang } from '../i18n';
import { catalogInfo, json, mockApi, scan } from '../test/fixtures';
import { CatalogHealthCard, CatalogHealthTable } from './CatalogHealth';

function table(catalogs: CatalogInfo[], lang: Lang = 'en', current?: string) {
  render(
    <I18nProvider lang={lang}>
      <CatalogHealthTable catalogs={catalogs} current={current} />
    </I18nProvider>,
  );
  return screen.getAllByTestId('catalog-health-row');
}

const cell = (row: HTMLElement, id: string) => within(row).getByTestId(id);

describe('CatalogHealthTable', () => {
  it('shows a healthy catalog with its kind, sources, databases, latency, merges and latest scan', () => {
    const [row] = table([
      catalogInfo('prod', {
        kind: 'hmsdb',
        uri: 'hmsdb+mysql://hms-db:3306/metastore',
        files: 'fsimage:///images/fsimage_0000042',
        hiveserver: 'hive2://hs2:10000/default',
        latency_ms: 12.4,
        databases: 1234,
        merges: true,
        latest_scan: scan({ id: 41, state: 'succeeded', finished_at: '2026-11-21T10:01:00Z' }),
      }),
    ]);
    expect(row!.getAttribute('data-catalog')).toBe('prod');
    expect(row!.getAttribute('data-healthy')).toBe('true');
    expect(cell(row!, 'catalog-status').textContent).toBe('Healthy');
    expect(cell(row!, 'catalog-status').className).toContain('pill-succeeded');
    expect(within(row!).queryByTestId('catalog-error')).toBeNull();
    expect(cell(row!, 'catalog-kind').textContent).toBe('Metastore database (read-only)');
    expect(cell(row!, 'catalog-uri').textContent).toBe('hmsdb+mysql://hms-db:3306/metastore');
    expect(cell(row!, 'catalog-files').textContent).toBe('File listing: fsimage:///images/fsimage_0000042');
    expect(cell(row!, 'catalog-hiveserver').textContent).toBe('HiveServer: hive2://hs2:10000/default');
    expect(cell(row!, 'catalog-databases').textContent).toBe('1,234');
    expect(cell(row!, 'catalog-latency').textContent).toBe('12 ms');
    expect(cell(row!, 'catalog-merges').textContent).toBe('Yes');
    const latest = cell(row!, 'catalog-latest-scan');
    expect(latest.getAttribute('data-scan-id')).toBe('41');
    expect(latest.textContent).toMatch(/^#41 .*2026/);
    // One catalog: nothing to tell apart.
    expect(row!.querySelector('.badge')).toBeNull();
    expect(row!.className).not.toContain('is-current');
  });

  it('shows an unhealthy catalog with its error, and what is unknown as such', () => {
    const rows = table([
      catalogInfo('prod'),
      catalogInfo('dr', {
        healthy: false,
        error: 'dial tcp 10.1.2.3:9083: i/o timeout',
        databases: undefined,
        latency_ms: 10_000.5,
        merges: false,
        latest_scan: null,
      }),
    ], 'en', 'prod');
    const dr = rows[1]!;
    expect(dr.getAttribute('data-healthy')).toBe('false');
    expect(cell(dr, 'catalog-status').textContent).toBe('Unhealthy');
    expect(cell(dr, 'catalog-status').className).toContain('pill-failed');
    expect(cell(dr, 'catalog-error').textContent).toBe('dial tcp 10.1.2.3:9083: i/o timeout');
    expect(cell(dr, 'catalog-databases').textContent).toBe('—');
    expect(cell(dr, 'catalog-latency').textContent).toBe('10s');
    expect(cell(dr, 'catalog-merges').textContent).toBe('No');
    expect(cell(dr, 'catalog-merges').getAttribute('title')).toBe('This server cannot merge in this catalog.');
    expect(cell(dr, 'catalog-latest-scan').textContent).toBe('Not scanned yet');
    expect(within(dr).queryByTestId('catalog-files')).toBeNull();
    expect(within(dr).queryByTestId('catalog-hiveserver')).toBeNull();
    // The other catalog can be shown from here; the shown one is marked.
    expect(within(dr).getByTestId('catalog-show').getAttribute('href')).toBe('/?catalog=dr');
    expect(within(rows[0]!).queryByTestId('catalog-show')).toBeNull();
    expect(rows[0]!.className).toContain('is-current');
    expect(rows[0]!.textContent).toContain('defaultshown');
    expect(dr.querySelector('.badge')).toBeNull();
  });

  it('speaks Chinese', () => {
    const [row] = table([catalogInfo('prod', { healthy: false, error: 'boom', kind: 'warehouse' })], 'zh');
    expect(cell(row!, 'catalog-status').textContent).toBe('异常');
    expect(cell(row!, 'catalog-kind').textContent).toBe('数仓目录');
    expect(cell(row!, 'catalog-latency').textContent).toBe('12 毫秒');
  });
});

describe('CatalogHealthCard', () => {
  function card(pollMs = 30_000) {
    render(
      <I18nProvider lang="en">
        <CatalogProvider pollMs={pollMs}>
          <CatalogHealthCard />
        </CatalogProvider>
      </I18nProvider>,
    );
  }

  it('polls GET /catalogs and shows when a catalog goes down', async () => {
    let healthy = true;
    const m = mockApi({
      'GET /catalogs': () =>
        json({
          items: [
            catalogInfo('prod', healthy ? {} : { healthy: false, error: 'metastore: connection refused', databases: undefined }),
          ],
        }),
    });
    card(40);
    await waitFor(() => expect(screen.getByTestId('catalog-health-row').getAttribute('data-healthy')).toBe('true'));
    expect(screen.getByTestId('catalog-health').getAttribute('data-count')).toBe('1');
    healthy = false;
    await waitFor(() => expect(screen.getByTestId('catalog-health-row').getAttribute('data-healthy')).toBe('false'));
    expect(screen.getByTestId('catalog-error').textContent).toBe('metastore: connection refused');
    expect(m.requests('GET', '/catalogs').length).toBeGreaterThanOrEqual(2);
  });

  it('polls at a modest interval by default', async () => {
    const m = mockApi({ 'GET /catalogs': () => json({ items: [catalogInfo('prod')] }) });
    card();
    await screen.findByTestId('catalog-health-row');
    await new Promise((r) => setTimeout(r, 200));
    expect(m.requests('GET', '/catalogs')).toHaveLength(1);
  });

  it('shows why the catalogs could not be listed', async () => {
    mockApi({ 'GET /catalogs': () => json({ code: 'internal', message: 'store is down' }, 500) });
    card();
    const err = await screen.findByTestId('catalog-health-error');
    expect(err.textContent).toContain('Could not check the catalogs: store is down');
    expect(screen.queryByTestId('catalog-health-row')).toBeNull();
  });

  it('says so when no catalog is configured', async () => {
    mockApi({ 'GET /catalogs': () => json({ items: [] }) });
    card();
    expect((await screen.findByTestId('catalog-health-empty')).textContent).toBe(
      'No catalog is configured: the dashboard shows stored snapshots only.',
    );
  });
});
