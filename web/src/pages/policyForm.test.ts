import { describe, expect, it } from 'vitest';
import { EMPTY_FORM, formFromPolicy, policyFromForm, splitPatterns } from './policyForm';

describe('policy form', () => {
  it('turns the fields into a policy body, leaving empty ones out', () => {
    const r = policyFromForm({
      ...EMPTY_FORM,
      scope: ' sales.orders ',
      enabled: 'false',
      small_file_size: '16MiB',
      target_file_size: '128 MiB',
      min_age: '72h',
      include: 'sales.*, , logs.tmp_* ',
      max_bytes_per_job: '1GB',
      mode: 'rewrite',
      row_group_size: '134217728',
    });
    expect(r).toEqual({
      ok: true,
      scope: 'sales.orders',
      policy: {
        enabled: false,
        small_file_size: 16 * 2 ** 20,
        target_file_size: 128 * 2 ** 20,
        min_age: '72h',
        include: ['sales.*', 'logs.tmp_*'],
        max_bytes_per_job: 1e9,
        mode: 'rewrite',
        row_group_size: 134217728,
      },
    });
    expect(policyFromForm({ ...EMPTY_FORM, scope: '*' })).toEqual({ ok: true, scope: '*', policy: {} });
  });

  it('names the field it cannot read', () => {
    expect(policyFromForm(EMPTY_FORM)).toMatchObject({ ok: false, field: 'scope', key: 'policies.scopeRequired' });
    expect(policyFromForm({ ...EMPTY_FORM, scope: '*', max_bytes_per_run: 'lots' })).toEqual({
      ok: false,
      field: 'max_bytes_per_run',
      key: 'policies.badSize',
      value: 'lots',
    });
    expect(policyFromForm({ ...EMPTY_FORM, scope: '*', min_age: '3 days' })).toMatchObject({
      ok: false,
      field: 'min_age',
      key: 'policies.badDuration',
    });
  });

  it('fills the fields from a stored policy', () => {
    const f = formFromPolicy({
      scope: 'sales',
      enabled: true,
      target_file_size: 256 * 2 ** 20,
      min_age: '168h0m0s',
      exclude: ['sales.tmp_*', 'sales.bak'],
      mode: 'concat',
    });
    expect(f).toEqual({
      ...EMPTY_FORM,
      scope: 'sales',
      enabled: 'true',
      target_file_size: '256MiB',
      min_age: '168h0m0s',
      exclude: 'sales.tmp_*, sales.bak',
      mode: 'concat',
    });
    // And back again.
    expect(policyFromForm(f)).toEqual({
      ok: true,
      scope: 'sales',
      policy: { enabled: true, target_file_size: 256 * 2 ** 20, min_age: '168h0m0s', exclude: ['sales.tmp_*', 'sales.bak'], mode: 'concat' },
    });
  });

  it('splits patterns on commas', () => {
    expect(splitPatterns('')).toEqual([]);
    expect(splitPatterns(' a.* ,b.c,, ')).toEqual(['a.*', 'b.c']);
  });
});
