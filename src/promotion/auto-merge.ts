import type { Config, StageConfig } from '../config/schema.js';
import type { GateResult } from '../gate/types.js';
import { shortSha } from '../text.js';

/**
 * Whether a promotion merges itself (`auto_merge: true`). Data, not side effects: the app acts on it.
 * - `never`: the stage does not self-merge, or this range needs manual sign-off (the stage's
 *   approvals, a touched risk tier's, the team on duty's): a person must merge it.
 * - `wait`: it would self-merge, but the gate is not green yet (checks, verification, a window, a
 *   freeze or a lock still hold it).
 * - `merge`: merge now, pinned to the evaluated head.
 */
export type AutoMergeDecision = { kind: 'never'; why: string } | { kind: 'wait'; why: string } | { kind: 'merge'; headSha: string; why: string };

/** The auto-merge decision for one evaluated promotion. */
export function decideAutoMerge(config: Config, stage: StageConfig, result: GateResult): AutoMergeDecision {
  if (!stage.auto_merge) return { kind: 'never', why: `stage ${stage.name} does not merge itself (auto_merge is off)` };
  const needed = result.signoff ? result.signoff.required : null;
  if (needed === null) return { kind: 'never', why: 'whether this range needs manual sign-off could not be determined' };
  if (needed > 0) return { kind: 'never', why: `this range needs ${needed} manual approval${needed === 1 ? '' : 's'}: a person merges it` };
  if (result.state !== 'passed') {
    const open = result.rules.filter((r) => r.state !== 'passed').map((r) => `${r.title.toLowerCase()}: ${r.reason}`);
    return { kind: 'wait', why: `merges itself once the gate is green (${open.join('; ') || result.state})` };
  }
  return { kind: 'merge', headSha: result.headSha, why: `no manual sign-off needed and every rule passed on ${shortSha(result.headSha)}` };
}
