import { applyBreakGlass } from '../break-glass/apply.js';
import type { Config, StageConfig } from '../config/schema.js';
import type { PromotionFacts, PullRequestFact } from '../facts/types.js';
import { earliest, errorMessage } from '../rules/common.js';
import { rules as allRules } from '../rules/index.js';
import { detailsOf, worst, type GateEvent, type GateResult, type Rule, type RuleContext, type RuleResult } from './types.js';

/** Options of {@link evaluateGate}. */
export interface EvaluateOptions {
  /** The rules to run (default: every rule, in display order). */
  rules?: readonly Rule[];
}

/**
 * Facts shared by the rules of one evaluation: each method is called at most once per distinct
 * arguments, its promise (or rejection) handed to every rule that asks.
 */
export function shareFacts(facts: PromotionFacts): PromotionFacts {
  const cache = new Map<string, Promise<unknown>>();
  const once = <T>(key: string, read: () => Promise<T>): Promise<T> => {
    let p = cache.get(key) as Promise<T> | undefined;
    if (!p) {
      p = read();
      p.catch(() => undefined);
      cache.set(key, p);
    }
    return p;
  };
  return {
    repository: facts.repository,
    pullRequest: () => once('pullRequest', () => facts.pullRequest()),
    commits: () => once('commits', () => facts.commits()),
    files: () => once('files', () => facts.files()),
    reviews: () => once('reviews', () => facts.reviews()),
    checks: (sha) => once(`checks\0${sha}`, () => facts.checks(sha)),
    deployments: (env) => once(`deployments\0${env}`, () => facts.deployments(env)),
    deploymentStatuses: (id) => once(`deploymentStatuses\0${id}`, () => facts.deploymentStatuses(id)),
    workflowRun: (id) => once(`workflowRun\0${id}`, () => facts.workflowRun(id)),
    approvedRunOf: (id) => once(`approvedRunOf\0${id}`, () => facts.approvedRunOf(id)),
    pushes: () => once('pushes', () => facts.pushes()),
    treeOf: (sha) => once(`treeOf\0${sha}`, () => facts.treeOf(sha)),
    teamMembership: (org, team, login) => once(`teamMembership\0${org.toLowerCase()}\0${team.toLowerCase()}\0${login.toLowerCase()}`, () => facts.teamMembership(org, team, login)),
    permission: (login) => once(`permission\0${login.toLowerCase()}`, () => facts.permission(login)),
    mergedPulls: () => once('mergedPulls', () => facts.mergedPulls()),
  };
}

function applies(rule: Rule, stage: StageConfig, config: Config): boolean | Error {
  try {
    return rule.applies(stage, config);
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

/** The rules that apply to the stage and whose result the event can change: none means the event changes nothing. */
export function rulesAffectedBy(event: GateEvent, stage: StageConfig, config: Config, rules: readonly Rule[] = allRules): Rule[] {
  return rules.filter((r) => r.triggers.includes(event) && applies(r, stage, config) !== false);
}

/**
 * Evaluates the gate: runs every applicable rule (in parallel, over facts shared so that nothing is read
 * twice), and combines their results. A rule that throws, or whose applicability cannot be decided, is
 * `blocked` with the error (fail closed); so is the whole gate when the pull request cannot be read.
 */
export async function evaluateGate(ctx: RuleContext, options: EvaluateOptions = {}): Promise<GateResult> {
  const facts = shareFacts(ctx.facts);
  const shared: RuleContext = { ...ctx, facts };
  const candidates = options.rules ?? allRules;

  const run = async (rule: Rule): Promise<RuleResult> => {
    const blocked = (reason: string): RuleResult => ({ id: rule.id, title: rule.title, state: 'blocked', reason, matched: [] });
    try {
      const result = await rule.evaluate(shared);
      if (!result || typeof result.state !== 'string') return blocked('the rule returned no result');
      return result;
    } catch (err) {
      return blocked(`rule failed: ${errorMessage(err)}`);
    }
  };

  const prRead: Promise<PullRequestFact | Error> = facts.pullRequest().catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
  const results = await Promise.all(
    candidates.map(async (rule): Promise<RuleResult | null> => {
      const a = applies(rule, ctx.stage, ctx.config);
      if (a instanceof Error) return { id: rule.id, title: rule.title, state: 'blocked', reason: `cannot tell whether the rule applies: ${a.message}`, matched: [] };
      return a ? run(rule) : null;
    }),
  );
  const withDetails = results.filter((r): r is RuleResult => r !== null);
  const approvals = detailsOf(withDetails, 'approvals');
  const ruleResults = withDetails.map(({ details: _details, ...r }) => r);
  const pr = await prRead;
  const prOk = !(pr instanceof Error);

  const state = worst([...ruleResults.map((r) => r.state), prOk ? 'passed' : 'blocked']);
  const nextChangeAt = ruleResults.reduce<string | undefined>((acc, r) => earliest(acc, r.nextChangeAt), undefined);
  const result: GateResult = {
    repository: ctx.facts.repository,
    stage: ctx.stage.name,
    pullRequest: prOk ? pr.number : 0,
    baseSha: prOk ? pr.baseSha : '',
    headSha: prOk ? pr.headSha : '',
    state,
    evaluatedAt: ctx.now.toISOString(),
    rules: ruleResults,
    approvals: approvals?.verdicts ?? [],
    risk: detailsOf(withDetails, 'risk')?.summary ?? null,
    signoff: approvals?.signoff ?? null,
    ...(nextChangeAt ? { nextChangeAt } : {}),
  };
  // A break-glass (the app's own record, bound to this head) lets the rules it waives pass; an unreadable one lets nothing pass.
  const grant = prOk && ctx.holds ? await ctx.holds.breakGlass(ctx.stage.name, pr.number, pr.headSha).catch(() => null) : null;
  return grant ? applyBreakGlass(result, grant) : result;
}
