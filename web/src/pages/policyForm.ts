// The policy form: its text fields, filled from a stored policy, and turned
// back into a Policy body (sizes like 128MiB to bytes, patterns split on
// commas). Empty fields are left out, so they inherit from the wider scope.

import { MERGE_MODES, type MergeMode, type Policy } from '../api';
import { isGoDuration, parseSize, sizeInput } from '../format';
import type { MessageKey } from '../i18n';

export interface PolicyForm {
  scope: string;
  enabled: '' | 'true' | 'false';
  small_file_size: string;
  target_file_size: string;
  min_age: string;
  include: string;
  exclude: string;
  max_bytes_per_job: string;
  max_bytes_per_run: string;
  mode: '' | MergeMode;
  row_group_size: string;
}

export const EMPTY_FORM: PolicyForm = {
  scope: '',
  enabled: '',
  small_file_size: '',
  target_file_size: '',
  min_age: '',
  include: '',
  exclude: '',
  max_bytes_per_job: '',
  max_bytes_per_run: '',
  mode: '',
  row_group_size: '',
};

export const SIZE_FIELDS = ['small_file_size', 'target_file_size', 'max_bytes_per_job', 'max_bytes_per_run', 'row_group_size'] as const;
export type SizeField = (typeof SIZE_FIELDS)[number];

/** The label of each form field. */
export const FIELD_LABELS: Record<keyof PolicyForm, MessageKey> = {
  scope: 'policies.scope',
  enabled: 'policies.enabled',
  small_file_size: 'policies.smallFileSize',
  target_file_size: 'policies.targetFileSize',
  min_age: 'policies.minAge',
  include: 'policies.include',
  exclude: 'policies.exclude',
  max_bytes_per_job: 'policies.maxBytesPerJob',
  max_bytes_per_run: 'policies.maxBytesPerRun',
  mode: 'policies.mode',
  row_group_size: 'policies.rowGroupSize',
};

/** Comma-separated patterns, trimmed, without empty ones. */
export function splitPatterns(s: string): string[] {
  return s
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

export function formFromPolicy(p: Policy): PolicyForm {
  const size = (v: number | undefined) => (v === undefined || v === null ? '' : sizeInput(v));
  return {
    scope: p.scope,
    enabled: p.enabled === undefined || p.enabled === null ? '' : p.enabled ? 'true' : 'false',
    small_file_size: size(p.small_file_size),
    target_file_size: size(p.target_file_size),
    min_age: p.min_age ?? '',
    include: (p.include ?? []).join(', '),
    exclude: (p.exclude ?? []).join(', '),
    max_bytes_per_job: size(p.max_bytes_per_job),
    max_bytes_per_run: size(p.max_bytes_per_run),
    mode: p.mode && (MERGE_MODES as readonly string[]).includes(p.mode) ? p.mode : '',
    row_group_size: size(p.row_group_size),
  };
}

export type FormResult =
  | { ok: true; scope: string; policy: Omit<Policy, 'scope'> }
  | { ok: false; field: keyof PolicyForm; key: MessageKey; value: string };

/**
 * Checks what the browser can check (scope present, sizes and the duration
 * parse) and builds the body of PUT /policies/{scope}; the server validates
 * the rest and answers 400 with a message.
 */
export function policyFromForm(f: PolicyForm): FormResult {
  const scope = f.scope.trim();
  if (!scope) return { ok: false, field: 'scope', key: 'policies.scopeRequired', value: '' };
  const policy: Omit<Policy, 'scope'> = {};
  if (f.enabled) policy.enabled = f.enabled === 'true';
  for (const k of SIZE_FIELDS) {
    const raw = f[k].trim();
    if (!raw) continue;
    const v = parseSize(raw);
    if (v === undefined) return { ok: false, field: k, key: 'policies.badSize', value: raw };
    policy[k] = v;
  }
  const age = f.min_age.trim();
  if (age) {
    if (!isGoDuration(age)) return { ok: false, field: 'min_age', key: 'policies.badDuration', value: age };
    policy.min_age = age;
  }
  const include = splitPatterns(f.include);
  if (include.length) policy.include = include;
  const exclude = splitPatterns(f.exclude);
  if (exclude.length) policy.exclude = exclude;
  if (f.mode) policy.mode = f.mode;
  return { ok: true, scope, policy };
}
