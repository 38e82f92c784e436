import type { CheckFact } from '../facts/types.js';
import { STATE_ORDER, worst, type Rule, type RuleResult, type RuleState } from '../gate/types.js';
import { failClosed, readAll, readFact, shortSha } from './common.js';

const ID = 'required-checks';
const TITLE = 'Required checks';

/** The check run Stagegate itself posts; never a requirement of its own gate. */
export const OWN_CHECK = 'stagegate';

const PENDING_STATUSES = new Set<CheckFact['status']>(['queued', 'in_progress', 'waiting', 'requested', 'pending']);

/**
 * The state of one check run or status. Only the conclusion `success` passes: `neutral` and `skipped`
 * are not evidence that the check ran green, so they block like failure, cancelled, timed_out,
 * action_required, stale and error do (and so does anything unknown). Unfinished runs are pending.
 */
export function checkState(c: CheckFact): { state: RuleState; label: string } {
  if (c.source === 'status' && c.status === 'pending') return { state: 'pending', label: 'pending' };
  if (PENDING_STATUSES.has(c.status)) return { state: 'pending', label: c.status.replace('_', ' ') };
  if (c.status !== 'completed') return { state: 'blocked', label: `unknown status ${String(c.status)}` };
  if (c.conclusion === 'success') return { state: 'passed', label: 'success' };
  if (c.conclusion === null) return { state: 'blocked', label: 'completed without a conclusion' };
  if (c.conclusion === 'neutral' || c.conclusion === 'skipped') return { state: 'blocked', label: `${c.conclusion} (only success counts)` };
  return { state: 'blocked', label: c.conclusion.replace('_', ' ') };
}

/** Among check runs and statuses of one name, the newest (`at`); on a tie the worse one. */
export function newestCheck(checks: readonly CheckFact[]): CheckFact | undefined {
  let best: CheckFact | undefined;
  for (const c of checks) {
    if (!best) {
      best = c;
      continue;
    }
    const tc = Date.parse(c.at);
    const tb = Date.parse(best.at);
    if (tc > tb || (tc === tb && STATE_ORDER[checkState(c).state] > STATE_ORDER[checkState(best).state]) || (Number.isNaN(tb) && !Number.isNaN(tc))) best = c;
  }
  return best;
}

/**
 * Required checks: for every name in the stage's `checks` (except `stagegate` itself), the newest check run
 * or commit status of that name on the head commit must have succeeded. A rerun still queued after a
 * success is pending; a check not reported yet is pending.
 */
export const requiredChecksRule: Rule = {
  id: ID,
  title: TITLE,
  triggers: ['check_run', 'check_suite', 'status', 'pull_request'],
  applies: (stage) => stage.checks.some((c) => c !== OWN_CHECK),
  evaluate: failClosed(ID, TITLE, async (ctx) => {
    const pr = await readFact('the pull request', () => ctx.facts.pullRequest());
    const head = pr.headSha;
    const all = await readAll(`check run and status on ${shortSha(head)}`, () => ctx.facts.checks(head));
    const names = [...new Set(ctx.stage.checks.filter((n) => n !== OWN_CHECK))];
    const children: RuleResult[] = names.map((name) => {
      const newest = newestCheck(all.filter((c) => c.name === name));
      if (!newest) return { id: ID, title: name, state: 'pending', reason: `${name}: not reported yet`, matched: [] };
      const { state, label } = checkState(newest);
      const what = newest.source === 'status' ? 'status' : 'check run';
      return { id: ID, title: name, state, reason: `${name}: ${label} (${what})`, matched: state === 'passed' ? [name] : [] };
    });
    const state = worst(children.map((c) => c.state));
    const failing = children.filter((c) => c.state !== 'passed');
    const reason = state === 'passed' ? `${children.map((c) => c.title).join(', ')} succeeded on ${shortSha(head)}` : `${failing.map((c) => c.reason).join('; ')} (head ${shortSha(head)})`;
    return { id: ID, title: TITLE, state, reason, matched: children.flatMap((c) => c.matched), children };
  }),
};
