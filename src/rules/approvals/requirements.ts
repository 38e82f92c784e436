import type { ChangedFileFact } from '../../facts/types.js';
import type { RuleContext } from '../../gate/types.js';
import { dutyAt, dutyStages } from '../../rotation/schedule.js';
import { readAll } from '../common.js';
import { applicableTiers, matchRisk } from '../risk.js';

/** One sign-off requirement: the stage's own, a touched risk tier's, or the team on duty's. */
export interface SignoffRequirement {
  /** `production` or the tier's name. */
  label: string;
  kind: 'stage' | 'risk' | 'duty';
  /** Approvals needed (0 when waived because only low-risk paths changed). */
  approvals: number;
  /** Users and `@org/team`s whose approvals count; undefined means any reviewer. */
  reviewers: string[] | undefined;
  /** The configured count was waived: the range touches only low-risk paths. */
  waived: boolean;
  /** When the requirement itself changes (the duty hand-over); ISO 8601. */
  until?: string;
}

/**
 * The sign-off requirements of a promotion: the stage's (waived when only low-risk paths change), each
 * touched risk tier with a `signoff`, and the team on duty's. The changed files are read only when a
 * tier could change the answer; they must be read completely.
 */
export async function signoffRequirements(ctx: RuleContext): Promise<SignoffRequirement[]> {
  const { stage, config, facts } = ctx;
  const tiers = applicableTiers(config, stage);
  let lowOnly = false;
  const tierRequirements: SignoffRequirement[] = [];
  if (tiers.some(({ tier }) => tier.signoff !== undefined || tier.level === 'low')) {
    const files: ChangedFileFact[] = await readAll('changed file', () => facts.files());
    const risk = matchRisk(files, config, stage);
    lowOnly = risk.summary.lowOnly;
    for (const t of risk.touched) {
      if (t.tier.signoff) tierRequirements.push({ label: t.name, kind: 'risk', approvals: t.tier.signoff.approvals, reviewers: t.tier.signoff.reviewers, waived: false });
    }
  }
  const requirements: SignoffRequirement[] = [
    { label: stage.name, kind: 'stage', approvals: lowOnly ? 0 : stage.signoff.approvals, reviewers: stage.signoff.reviewers, waived: lowOnly && stage.signoff.approvals > 0 },
    ...tierRequirements,
  ];
  const duty = dutyRequirement(config, stage, ctx.now);
  if (duty) requirements.push(duty);
  return requirements;
}

/**
 * `rotation.require`: one approval of the head from the team (or user) on duty, on the stages the
 * rotation covers. Before the rotation starts nobody is on duty and nothing extra is required. The
 * requirement changes at the hand-over (`until`), so the gate is evaluated again then.
 */
function dutyRequirement(config: RuleContext['config'], stage: RuleContext['stage'], now: Date): SignoffRequirement | null {
  const r = config.rotation;
  if (!r?.require || !dutyStages(config).some((s) => s.name === stage.name)) return null;
  const duty = dutyAt(r, now);
  if (!duty.team) return null;
  return { label: `${duty.team} (on duty)`, kind: 'duty', approvals: 1, reviewers: [duty.team], waived: false, ...(duty.until ? { until: duty.until.toISOString() } : {}) };
}
