import type { Config, StageConfig } from '../config/schema.js';
import type { PromotionFacts } from '../facts/types.js';
import type { RuleResult, StageHolds } from '../gate/types.js';
import { freezeRule, lockRule, windowsRule } from '../rules/index.js';

const NO_FACTS = new Proxy({} as PromotionFacts, {
  get: (_t, key) => (key === 'repository' ? '' : () => Promise.reject(new Error('timing rules read no GitHub facts'))),
});

/**
 * What holds a deploy of `stage` back now, other than its sign-off: its deploy windows and freezes
 * (under the given — approving — stage policy) and its lock. The rules that did not pass, or none.
 */
export async function timingHolds(stage: StageConfig, now: Date, holds: StageHolds): Promise<RuleResult[]> {
  const config = { stages: [stage] } as unknown as Config;
  const ctx = { config, stage, facts: NO_FACTS, now, holds };
  const results = await Promise.all([windowsRule, freezeRule, lockRule].filter((r) => r.applies(stage, config)).map((r) => r.evaluate(ctx)));
  return results.filter((r) => r.state !== 'passed');
}

/** The file name `workflow_dispatch` takes for a workflow path (`.github/workflows/x.yml` → `x.yml`). */
export function workflowFile(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
