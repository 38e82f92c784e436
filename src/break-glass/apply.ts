import type { Waivable } from '../config/schema.js';
import { earliest } from '../rules/common.js';
import { worst, type GateResult, type RuleId, type RuleResult } from '../gate/types.js';
import type { BreakGlass, FollowUpState } from './types.js';

/** The rules each `break_glass.waive` entry lets pass. `verified-commits` and `config` are never waived. */
export const WAIVED_RULES: Readonly<Record<Waivable, readonly RuleId[]>> = {
  signoff: ['approvals', 'separation-of-duties', 'risk'],
  windows: ['windows'],
  freeze: ['freeze'],
  verified_in: ['verified-in'],
  lock: ['lock'],
  checks: ['required-checks'],
};

/** The rule ids a break-glass waives. */
export function waivedRuleIds(waive: readonly Waivable[]): Set<RuleId> {
  return new Set(waive.flatMap((w) => WAIVED_RULES[w]));
}

/** Where a follow-up stands at `now`: approved once it has its approvals (even late), overdue past its deadline, else open. */
export function followUpState(bg: Pick<BreakGlass, 'followUp'>, now: Date): FollowUpState {
  if (bg.followUp.approvals.length >= bg.followUp.approvalsRequired) return 'approved';
  return Date.parse(bg.followUp.deadline) <= now.getTime() ? 'overdue' : 'open';
}

/**
 * The gate result under a break-glass: every rule it waives that did not pass passes, its reason
 * saying so and what it was; the others stand (a failing build still blocks unless `checks` is
 * waived). The result carries the break-glass (the check and the comment say BREAK-GLASS). Pure.
 * A break-glass of another head or stage changes nothing.
 */
export function applyBreakGlass(result: GateResult, bg: BreakGlass): GateResult {
  if (bg.headSha !== result.headSha || bg.stage !== result.stage || bg.pullRequest !== result.pullRequest) return result;
  const waivable = waivedRuleIds(bg.waive);
  const waived: RuleId[] = [];
  const rules = result.rules.map((r): RuleResult => {
    if (r.state === 'passed' || !waivable.has(r.id)) return r;
    waived.push(r.id);
    const { nextChangeAt: _n, ...rest } = r;
    return { ...rest, state: 'passed', reason: `BREAK-GLASS by @${bg.by}: waived (was ${r.state}: ${r.reason})` };
  });
  const nextChangeAt = rules.reduce<string | undefined>((acc, r) => earliest(acc, r.nextChangeAt), undefined);
  const { nextChangeAt: _old, ...base } = result;
  return {
    ...base,
    rules,
    state: worst([...rules.map((r) => r.state), result.pullRequest > 0 ? 'passed' : 'blocked']),
    ...(nextChangeAt ? { nextChangeAt } : {}),
    breakGlass: {
      by: bg.by,
      reason: bg.reason,
      at: bg.at,
      waived,
      followUp: {
        issueNumber: bg.followUp.issueNumber,
        issueUrl: bg.followUp.issueUrl,
        deadline: bg.followUp.deadline,
        approvals: bg.followUp.approvals.length,
        approvalsRequired: bg.followUp.approvalsRequired,
      },
    },
  };
}
