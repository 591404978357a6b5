import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Policy } from '../api';
import { I18nProvider } from '../i18n';
import { effectivePolicy, json, mockApi, MiB } from '../test/fixtures';

import { Policies } from './Policies';

const STORED: Policy[] = [
  { scope: '*', min_age: '72h0m0s', updated_at: '2026-11-20T10:00:00Z', updated_by: 'token:ops' },
  { scope: 'sales', enabled: false, target_file_size: 256 * MiB, exclude: ['sales.tmp_*'], mode: 'rewrite' },
];

function setup(put?: (body: unknown) => Response) {
  let items = [...STORED];
  const bodies: unknown[] = [];
  const m = mockApi({
    'GET /policies': () => json({ defaults: effectivePolicy({ sources: ['default'] }), items }),
    'PUT /policies/sales.orders': (_u, init) => {
      const body = JSON.parse(String(init?.body));
      bodies.push(body);
      if (put) return put(body);
      items = [...items, body as Policy];
      return json(body);
    },
    'DELETE /policies/sales': () => {
      items = items.filter((p) => p.scope !== 'sales');
      return new Response(null, { status: 204 });
    },
    'GET /policies/sales.orders/effective': () => json(effectivePolicy({ sources: ['default', '*', 'sales'], enabled: false })),
  });
  render(
    <I18nProvider lang="en">
      <Policies />
    </I18nProvider>,
  );
  return { m, bodies };
}

const type = (id: string, value: string) => fireEvent.change(screen.getByTestId(id), { target: { value } });

describe('policies page', () => {
  it('shows the defaults and every stored policy', async () => {
    setup();
    const rows = await screen.findAllByTestId('policy-row');
    expect(rows.map((r) => r.getAttribute('data-scope'))).toEqual(['*', 'sales']);
    expect(screen.getByTestId('policy-defaults-small').textContent).toContain('16 MiB');
    expect(screen.getByTestId('policy-defaults').textContent).toContain('24h');
    expect(rows[0]!.textContent).toContain('72h');
    expect(rows[0]!.textContent).toContain('token:ops');
    expect(rows[1]!.textContent).toContain('256 MiB');
    expect(rows[1]!.textContent).toContain('sales.tmp_*');
    expect(rows[1]!.textContent).toContain('Rewrite');
    expect(rows[1]!.textContent).toContain('inherited');
  });

  it('saves a policy with sizes converted to bytes', async () => {
    const { bodies } = setup();
    await screen.findAllByTestId('policy-row');
    type('policy-scope', 'sales.orders');
    fireEvent.change(screen.getByTestId('policy-enabled'), { target: { value: 'true' } });
    type('policy-small_file_size', '16MiB');
    type('policy-target_file_size', '128MiB');
    type('policy-min_age', '48h');
    type('policy-include', 'sales.orders, sales.order_*');
    type('policy-max_bytes_per_job', '10GiB');
    fireEvent.change(screen.getByTestId('policy-mode'), { target: { value: 'concat' } });
    fireEvent.click(screen.getByTestId('policy-save'));
    expect((await screen.findByTestId('policy-notice')).textContent).toContain('Saved the policy of sales.orders.');
    expect(bodies).toEqual([
      {
        enabled: true,
        small_file_size: 16 * MiB,
        target_file_size: 128 * MiB,
        min_age: '48h',
        include: ['sales.orders', 'sales.order_*'],
        max_bytes_per_job: 10 * 2 ** 30,
        mode: 'concat',
        scope: 'sales.orders',
      },
    ]);
    await waitFor(() => expect(screen.getAllByTestId('policy-row')).toHaveLength(3));
  });

  it('refuses a size it cannot read before asking the server', async () => {
    const { bodies } = setup();
    await screen.findAllByTestId('policy-row');
    type('policy-scope', 'sales.orders');
    type('policy-target_file_size', 'big');
    fireEvent.click(screen.getByTestId('policy-save'));
    const err = await screen.findByTestId('policy-invalid');
    expect(err.getAttribute('data-field')).toBe('target_file_size');
    expect(err.textContent).toBe('Target file size: “big” is not a size such as 16MiB or 134217728.');
    expect(bodies).toEqual([]);
  });

  it('shows the validation error of the server', async () => {
    setup(() => json({ code: 'invalid', message: 'policy sales.orders: small_file_size must not exceed target_file_size' }, 400));
    await screen.findAllByTestId('policy-row');
    type('policy-scope', 'sales.orders');
    type('policy-small_file_size', '1GiB');
    type('policy-target_file_size', '128MiB');
    fireEvent.click(screen.getByTestId('policy-save'));
    const err = await screen.findByTestId('api-error');
    expect(err.getAttribute('data-code')).toBe('invalid');
    expect(err.textContent).toContain('policy sales.orders: small_file_size must not exceed target_file_size');
    expect(screen.queryByTestId('policy-notice')).toBeNull();
  });

  it('edits a stored policy in the form', async () => {
    setup();
    const rows = await screen.findAllByTestId('policy-row');
    fireEvent.click(within(rows[1]!).getByTestId('policy-edit'));
    expect((screen.getByTestId('policy-scope') as HTMLInputElement).value).toBe('sales');
    expect((screen.getByTestId('policy-enabled') as HTMLSelectElement).value).toBe('false');
    expect((screen.getByTestId('policy-target_file_size') as HTMLInputElement).value).toBe('256MiB');
    expect((screen.getByTestId('policy-exclude') as HTMLInputElement).value).toBe('sales.tmp_*');
    expect((screen.getByTestId('policy-mode') as HTMLSelectElement).value).toBe('rewrite');
  });

  it('deletes a policy after confirmation', async () => {
    const { m } = setup();
    const rows = await screen.findAllByTestId('policy-row');
    fireEvent.click(within(rows[1]!).getByTestId('policy-delete'));
    expect(screen.getByTestId('confirm-delete-message').textContent).toBe(
      'Delete the policy of sales? Its tables fall back to the wider scopes.',
    );
    fireEvent.click(screen.getByTestId('confirm-delete-confirm'));
    expect((await screen.findByTestId('policy-notice')).textContent).toContain('Deleted the policy of sales.');
    expect(m.requests('DELETE', '/policies/sales')).toHaveLength(1);
    await waitFor(() => expect(screen.getAllByTestId('policy-row')).toHaveLength(1));
  });

  it('shows the effective policy of a table', async () => {
    setup();
    await screen.findAllByTestId('policy-row');
    type('effective-scope', 'sales.orders');
    fireEvent.click(screen.getByTestId('effective-show'));
    const eff = await screen.findByTestId('policy-effective');
    expect(eff.textContent).toContain('default, *, sales');
    expect(eff.textContent).toContain('No');
  });
});
