import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { api, MERGE_MODES, type EffectivePolicy, type MergeMode, type Policy } from '../api';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorBanner } from '../components/ErrorBanner';
import { ModeLabel } from '../components/MergeBadges';
import { StatsTable, type Column } from '../components/StatsTable';
import { shortGoDuration } from '../format';
import { useCatalogParam } from '../catalog';
import { useAction, useApi } from '../hooks';
import { useI18n, type I18n } from '../i18n';
import { EMPTY_FORM, FIELD_LABELS, formFromPolicy, policyFromForm, type FormResult, type PolicyForm } from './policyForm';

function Kv({ label, children, testId }: { label: string; children: ReactNode; testId?: string }) {
  return (
    <div className="kv" data-testid={testId}>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

const list = (v: string[] | null | undefined) => (v && v.length ? v.join(', ') : '—');

/** Every field of a resolved policy. */
function EffectiveGrid({ p, i, testId }: { p: EffectivePolicy; i: I18n; testId: string }) {
  const { t } = i;
  return (
    <dl className="kv-grid kv-grid-plain" data-testid={testId}>
      <Kv label={t('policies.sources')}>{list(p.sources)}</Kv>
      <Kv label={t('policies.enabled')}>{p.enabled ? t('common.yes') : t('common.no')}</Kv>
      <Kv label={t('policies.smallFileSize')} testId={`${testId}-small`}>
        {i.bytes(p.small_file_size)}
      </Kv>
      <Kv label={t('policies.targetFileSize')}>{i.bytes(p.target_file_size)}</Kv>
      <Kv label={t('policies.minAge')}>{shortGoDuration(p.min_age)}</Kv>
      <Kv label={t('policies.include')}>{list(p.include)}</Kv>
      <Kv label={t('policies.exclude')}>{list(p.exclude)}</Kv>
      <Kv label={t('policies.maxBytesPerJob')}>{i.bytes(p.max_bytes_per_job)}</Kv>
      <Kv label={t('policies.maxBytesPerRun')}>{i.bytes(p.max_bytes_per_run)}</Kv>
      <Kv label={t('policies.mode')}>
        <ModeLabel mode={p.mode} />
      </Kv>
      <Kv label={t('policies.rowGroupSize')}>{i.bytes(p.row_group_size)}</Kv>
    </dl>
  );
}

/** A field a policy does not set: it inherits. */
function Inherited({ i }: { i: I18n }) {
  return <span className="muted inherited">{i.t('policies.inherited')}</span>;
}

function sizeCol(id: keyof Policy & string, label: Column<Policy>['label']): Column<Policy> {
  return {
    id,
    label,
    numeric: true,
    render: (r, i) => {
      const v = r[id];
      return typeof v === 'number' ? <span title={String(v)}>{i.bytes(v)}</span> : <Inherited i={i} />;
    },
  };
}

function columns(onEdit: (p: Policy) => void, onDelete: (p: Policy) => void): Column<Policy>[] {
  return [
    { id: 'scope', label: 'policies.scope', render: (r) => <code data-testid="cell-scope">{r.scope}</code> },
    {
      id: 'enabled',
      label: 'policies.enabled',
      render: (r, i) =>
        r.enabled === undefined || r.enabled === null ? <Inherited i={i} /> : r.enabled ? i.t('common.yes') : <span className="text-bad">{i.t('common.no')}</span>,
    },
    sizeCol('small_file_size', 'policies.smallFileSize'),
    sizeCol('target_file_size', 'policies.targetFileSize'),
    { id: 'min_age', label: 'policies.minAge', render: (r, i) => (r.min_age ? shortGoDuration(r.min_age) : <Inherited i={i} />) },
    { id: 'include', label: 'policies.include', className: 'wrap-cell', render: (r, i) => (r.include?.length ? r.include.join(', ') : <Inherited i={i} />) },
    { id: 'exclude', label: 'policies.exclude', className: 'wrap-cell', render: (r, i) => (r.exclude?.length ? r.exclude.join(', ') : <Inherited i={i} />) },
    sizeCol('max_bytes_per_job', 'policies.maxBytesPerJob'),
    sizeCol('max_bytes_per_run', 'policies.maxBytesPerRun'),
    { id: 'mode', label: 'policies.mode', render: (r, i) => (r.mode ? <ModeLabel mode={r.mode} /> : <Inherited i={i} />) },
    sizeCol('row_group_size', 'policies.rowGroupSize'),
    {
      id: 'updated',
      label: 'policies.updated',
      className: 'nowrap',
      render: (r, i) => (
        <>
          {i.dateTime(r.updated_at)}
          {r.updated_by && <div className="muted small">{r.updated_by}</div>}
        </>
      ),
    },
    {
      id: 'actions',
      label: 'col.actions',
      render: (r, i) => (
        <span className="btn-group">
          <button type="button" className="btn btn-small" onClick={() => onEdit(r)} data-testid="policy-edit">
            {i.t('policies.edit')}
          </button>
          <button type="button" className="btn btn-small btn-danger-outline" onClick={() => onDelete(r)} data-testid="policy-delete">
            {i.t('policies.delete')}
          </button>
        </span>
      ),
    },
  ];
}

function TextField({
  form,
  field,
  set,
  placeholder,
  i,
}: {
  form: PolicyForm;
  field: Exclude<keyof PolicyForm, 'enabled' | 'mode'>;
  set: (f: keyof PolicyForm, v: string) => void;
  placeholder?: string;
  i: I18n;
}) {
  return (
    <label className="form-field">
      <span>{i.t(FIELD_LABELS[field])}</span>
      <input
        type="text"
        value={form[field]}
        placeholder={placeholder}
        onChange={(e) => set(field, e.target.value)}
        data-testid={`policy-${field}`}
        spellCheck={false}
      />
    </label>
  );
}

/** The merge policies: configured defaults, stored policies, a form to set one, and a table's effective policy. */
export function Policies() {
  const i = useI18n();
  const { t } = i;
  const policies = useApi((signal) => api.listPolicies({ signal }), []);
  const [form, setForm] = useState<PolicyForm>(EMPTY_FORM);
  const [invalid, setInvalid] = useState<Extract<FormResult, { ok: false }>>();
  const [notice, setNotice] = useState<string>();
  const [deleting, setDeleting] = useState<Policy>();
  const [lookup, setLookup] = useState('');

  const save = useAction((scope: string, body: Omit<Policy, 'scope'>) => api.putPolicy(scope, body));
  const remove = useAction((scope: string) => api.deletePolicy(scope));
  const catalog = useCatalogParam();
  const effective = useAction((scope: string) => api.getEffectivePolicy(scope, { catalog }));
  const [effectiveResult, setEffectiveResult] = useState<{ scope: string; policy: EffectivePolicy }>();
  // The effective policy depends on the catalog's configured defaults.
  useEffect(() => setEffectiveResult(undefined), [catalog]);

  const set = (f: keyof PolicyForm, v: string) => {
    setForm((old) => ({ ...old, [f]: v }));
    setInvalid(undefined);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setNotice(undefined);
    const r = policyFromForm(form);
    if (!r.ok) {
      setInvalid(r);
      return;
    }
    setInvalid(undefined);
    const out = await save.run(r.scope, r.policy);
    if (out.ok) {
      setNotice(t('policies.saved', { scope: out.value.scope }));
      policies.reload();
    }
  };

  const confirmDelete = async () => {
    if (!deleting) return;
    const scope = deleting.scope;
    setNotice(undefined);
    const out = await remove.run(scope);
    setDeleting(undefined);
    if (out.ok) {
      setNotice(t('policies.deleted', { scope }));
      policies.reload();
    }
  };

  const showEffective = async (e: FormEvent) => {
    e.preventDefault();
    const scope = lookup.trim();
    if (!scope) return;
    setEffectiveResult(undefined);
    const out = await effective.run(scope);
    if (out.ok) setEffectiveResult({ scope, policy: out.value });
  };

  const cols = columns(
    (p) => {
      setForm(formFromPolicy(p));
      setInvalid(undefined);
      setNotice(undefined);
      save.clear();
      document.getElementById('policy-form')?.scrollIntoView?.({ behavior: 'smooth', block: 'start' });
    },
    (p) => {
      remove.clear();
      setDeleting(p);
    },
  );

  const sizeHint = t('policies.sizePlaceholder');
  return (
    <div className="page" data-testid="policies-page">
      <div className="page-head">
        <h1>{t('policies.title')}</h1>
        <p className="page-sub">{t('policies.hint')}</p>
      </div>
      <ErrorBanner error={policies.error} onRetry={policies.reload} />
      {notice && (
        <div className="banner banner-ok" role="status" data-testid="policy-notice">
          <div className="banner-body">{notice}</div>
          <button type="button" className="btn btn-small btn-ghost" onClick={() => setNotice(undefined)}>
            {t('common.dismiss')}
          </button>
        </div>
      )}
      <ErrorBanner error={remove.error} />

      <section className="card">
        <header className="card-head">
          <h2>{t('policies.defaults')}</h2>
          <p className="card-hint">{t('policies.defaultsHint')}</p>
        </header>
        {policies.data ? (
          <EffectiveGrid p={policies.data.defaults} i={i} testId="policy-defaults" />
        ) : (
          policies.loading && <div className="loading">{t('common.loading')}</div>
        )}
      </section>

      <section className="card">
        <header className="card-head">
          <h2>{t('policies.stored')}</h2>
          {policies.data && (
            <span className="muted" data-testid="policies-total" data-value={policies.data.items.length}>
              {i.count(policies.data.items.length)}
            </span>
          )}
        </header>
        <StatsTable
          testId="policies-table"
          columns={cols}
          rows={policies.data?.items ?? []}
          rowKey={(r) => r.scope}
          rowProps={(r) => ({ 'data-testid': 'policy-row', 'data-scope': r.scope })}
          empty={policies.error ? '' : t('policies.empty')}
          loading={policies.loading}
        />
      </section>

      <section className="card" id="policy-form">
        <header className="card-head">
          <h2>{t('policies.form')}</h2>
          <p className="card-hint">{t('policies.formHint')}</p>
        </header>
        <form className="policy-form" onSubmit={(e) => void submit(e)} data-testid="policy-form" noValidate>
          <div className="form-grid">
            <TextField form={form} field="scope" set={set} placeholder={t('policies.scopePlaceholder')} i={i} />
            <label className="form-field">
              <span>{t('policies.enabled')}</span>
              <select value={form.enabled} onChange={(e) => set('enabled', e.target.value)} data-testid="policy-enabled">
                <option value="">{t('policies.inherit')}</option>
                <option value="true">{t('common.yes')}</option>
                <option value="false">{t('common.no')}</option>
              </select>
            </label>
            <label className="form-field">
              <span>{t('policies.mode')}</span>
              <select value={form.mode} onChange={(e) => set('mode', e.target.value as MergeMode | '')} data-testid="policy-mode">
                <option value="">{t('policies.inherit')}</option>
                {MERGE_MODES.map((m) => (
                  <option key={m} value={m}>
                    {t(`mode.${m}`)}
                  </option>
                ))}
              </select>
            </label>
            <TextField form={form} field="small_file_size" set={set} placeholder={sizeHint} i={i} />
            <TextField form={form} field="target_file_size" set={set} placeholder={sizeHint} i={i} />
            <TextField form={form} field="min_age" set={set} placeholder={t('policies.durationPlaceholder')} i={i} />
            <TextField form={form} field="max_bytes_per_job" set={set} placeholder={sizeHint} i={i} />
            <TextField form={form} field="max_bytes_per_run" set={set} placeholder={sizeHint} i={i} />
            <TextField form={form} field="row_group_size" set={set} placeholder={sizeHint} i={i} />
            <TextField form={form} field="include" set={set} placeholder={t('policies.patternsPlaceholder')} i={i} />
            <TextField form={form} field="exclude" set={set} placeholder={t('policies.patternsPlaceholder')} i={i} />
          </div>
          {invalid && (
            <div className="form-error" role="alert" data-testid="policy-invalid" data-field={invalid.field}>
              {t(invalid.key, { field: t(FIELD_LABELS[invalid.field]), value: invalid.value })}
            </div>
          )}
          <ErrorBanner error={save.error} />
          <div className="form-actions">
            <button type="submit" className="btn btn-primary" disabled={save.busy} data-testid="policy-save">
              {save.busy ? t('policies.saving') : t('policies.save')}
            </button>
            <button
              type="button"
              className="btn"
              onClick={() => {
                setForm(EMPTY_FORM);
                setInvalid(undefined);
                save.clear();
              }}
            >
              {t('policies.clear')}
            </button>
          </div>
        </form>
      </section>

      <section className="card">
        <header className="card-head">
          <h2>{t('policies.effective')}</h2>
          <p className="card-hint">{t('policies.effectiveHint')}</p>
        </header>
        <form className="toolbar" onSubmit={(e) => void showEffective(e)}>
          <label className="form-field form-field-inline">
            <span className="visually-hidden">{t('policies.effective')}</span>
            <input
              type="text"
              value={lookup}
              placeholder={t('policies.effectivePlaceholder')}
              onChange={(e) => setLookup(e.target.value)}
              data-testid="effective-scope"
              spellCheck={false}
            />
          </label>
          <button type="submit" className="btn" disabled={effective.busy || !lookup.trim()} data-testid="effective-show">
            {t('policies.lookup')}
          </button>
        </form>
        <ErrorBanner error={effective.error} />
        {effectiveResult && <EffectiveGrid p={effectiveResult.policy} i={i} testId="policy-effective" />}
      </section>

      <ConfirmDialog
        open={!!deleting}
        title={t('policies.confirmDeleteTitle')}
        confirmLabel={t('policies.delete')}
        danger
        busy={remove.busy}
        onConfirm={() => void confirmDelete()}
        onCancel={() => setDeleting(undefined)}
        testId="confirm-delete"
      >
        {deleting && t('policies.confirmDelete', { scope: deleting.scope })}
      </ConfirmDialog>
    </div>
  );
}
