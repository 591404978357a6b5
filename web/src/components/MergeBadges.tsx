import type { MergeMode, MergeState, SwapStep } from '../api';
import { en, useI18n, type MessageKey } from '../i18n';

/** Whether the dictionary knows key; a newer server may send values it does not. */
function known(key: string): key is MessageKey {
  return key in en;
}

/** A merge job's state as a coloured pill. */
export function MergeStateBadge({ state, testId = 'merge-state' }: { state: MergeState; testId?: string }) {
  const { t } = useI18n();
  return (
    <span className={`pill pill-${state}`} data-testid={testId} data-state={state}>
      {known(`merge.state.${state}`) ? t(`merge.state.${state}` as MessageKey) : state}
    </span>
  );
}

const GOOD_STEPS: readonly string[] = ['swapped', 'validated', 'rolled_back'];
const BAD_STEPS: readonly string[] = ['aborted', 'failed'];

/** The step of a partition's journaled swap. */
export function StepBadge({ step }: { step: SwapStep }) {
  const { t } = useI18n();
  const tone = GOOD_STEPS.includes(step) ? 'succeeded' : BAD_STEPS.includes(step) ? 'failed' : 'running';
  const key = `step.${step}`;
  return (
    <span className={`pill pill-${tone}`} data-testid="result-step" data-step={step} title={step}>
      {known(key) ? t(key) : step}
    </span>
  );
}

/** A merge mode, translated; the code itself as a tooltip. */
export function ModeLabel({ mode }: { mode: MergeMode | undefined }) {
  const { t } = useI18n();
  if (!mode) return <>—</>;
  const key = `mode.${mode}`;
  return <span title={mode}>{known(key) ? t(key) : mode}</span>;
}
