import picomatch from 'picomatch';
import type { Config, RiskTier, StageConfig } from '../config/schema.js';
import type { ChangedFileFact } from '../facts/types.js';
import type { RiskSummary, Rule, RuleContext, RuleResult } from '../gate/types.js';
import { errorMessage, humanList, plural, readAll } from './common.js';

const ID = 'risk';
const TITLE = 'Risk tiers';

/** A risk tier the range touches, with the changed files that matched it. */
export interface TierMatch {
  tier: RiskTier;
  /** Position in `config.risk`. */
  index: number;
  /** The tier's name, or its globs. */
  name: string;
  files: string[];
}

/** The name shown for a tier: its `name`, else its globs. */
export function tierName(tier: RiskTier): string {
  return tier.name ?? tier.paths.join(', ');
}

/** Whether a tier applies to a stage (`stages` absent, or naming the stage). */
export function tierApplies(tier: RiskTier, stage: StageConfig): boolean {
  return tier.stages === undefined || tier.stages.includes(stage.name);
}

/** The tiers that apply to a stage, with their positions. */
export function applicableTiers(config: Config, stage: StageConfig): { tier: RiskTier; index: number }[] {
  return config.risk.map((tier, index) => ({ tier, index })).filter(({ tier }) => tierApplies(tier, stage));
}

/**
 * The built-in tier of changes to Stagegate's own policy and to workflows (the deploy workflow among
 * them): always high risk, on every stage, whatever the configuration says. A promotion that changes
 * them is still judged and verified under the base's policy, and never passes as low-risk.
 */
export const POLICY_TIER: RiskTier = { name: 'Stagegate policy and workflows', paths: ['.github/stagegate.yml', '.github/workflows/**'], level: 'high' };

/**
 * Matches every changed file (and, for renames, its previous name) against the tiers that apply to the
 * stage, with picomatch and `dot: true`, and against the built-in {@link POLICY_TIER}. `lowOnly` is true
 * only when the range changes at least one file, every name of every changed file matches a low tier,
 * and no non-low tier is touched: a range that also touches a higher tier (the policy or a workflow
 * among them), or changes nothing, still needs sign-off.
 */
export function matchRisk(files: readonly ChangedFileFact[], config: Config, stage: StageConfig): RiskMatch {
  // One evaluation shares one listing of the changed files (see shareFacts), so the risk and approvals
  // rules get the same match object: computed once per listing, config and stage, dropped with them.
  const byConfig = matches.get(files) ?? new WeakMap<Config, WeakMap<StageConfig, RiskMatch>>();
  matches.set(files, byConfig);
  const byStage = byConfig.get(config) ?? new WeakMap<StageConfig, RiskMatch>();
  byConfig.set(config, byStage);
  let m = byStage.get(stage);
  if (!m) {
    m = computeRisk(files, config, stage);
    byStage.set(stage, m);
  }
  return m;
}

/** The tiers a range touches, and the summary the gate shows. */
export interface RiskMatch {
  touched: TierMatch[];
  summary: RiskSummary;
}

const matches = new WeakMap<readonly ChangedFileFact[], WeakMap<Config, WeakMap<StageConfig, RiskMatch>>>();

function computeRisk(files: readonly ChangedFileFact[], config: Config, stage: StageConfig): RiskMatch {
  const tiers = [{ tier: POLICY_TIER, index: -1 }, ...applicableTiers(config, stage)].map(({ tier, index }) => ({
    tier,
    index,
    match: picomatch(tier.paths, { dot: true }),
  }));
  const names = (f: ChangedFileFact): string[] => (f.previousFilename && f.previousFilename !== f.filename ? [f.filename, f.previousFilename] : [f.filename]);
  const touched: TierMatch[] = [];
  for (const { tier, index, match } of tiers) {
    const hit = files.filter((f) => names(f).some((n) => match(n))).map((f) => f.filename);
    if (hit.length > 0) touched.push({ tier, index, name: tierName(tier), files: hit });
  }
  const low = tiers.filter((t) => t.tier.level === 'low');
  const lowOnly = files.length > 0 && touched.every((t) => t.tier.level === 'low') && files.every((f) => names(f).every((n) => low.some((t) => t.match(n))));
  const policy = touched.find((t) => t.tier === POLICY_TIER)?.files ?? [];
  return {
    touched,
    summary: { touched: touched.map((t) => ({ name: t.name, level: t.tier.level, files: t.files })), lowOnly, policyChanged: policy },
  };
}

function describe(t: TierMatch): string {
  const shown = t.files.slice(0, 3).join(', ');
  const more = t.files.length > 3 ? `, +${t.files.length - 3} more` : '';
  return `${t.name} [${t.tier.level}] (${plural(t.files.length, 'file')}: ${shown}${more})`;
}

/** Evaluates the risk rule and returns the summary too (null when the changed files could not be read). */
export async function assessRisk(ctx: RuleContext): Promise<{ result: RuleResult; summary: RiskSummary | null }> {
  let files: ChangedFileFact[];
  try {
    files = await readAll('changed file', () => ctx.facts.files());
  } catch (err) {
    return { result: { id: ID, title: TITLE, state: 'blocked', reason: errorMessage(err), matched: [] }, summary: null };
  }
  const { touched, summary } = matchRisk(files, ctx.config, ctx.stage);
  let reason: string;
  if (touched.length === 0) reason = `${plural(files.length, 'changed file')}, no risk tier touched`;
  else reason = `touches ${humanList(touched.map(describe))}`;
  if (summary.lowOnly) reason += '; only low-risk paths, so no manual sign-off is needed';
  if (summary.policyChanged.length > 0)
    reason += `; this promotion changes Stagegate's policy or a workflow (${summary.policyChanged.slice(0, 3).join(', ')}${summary.policyChanged.length > 3 ? ', …' : ''}): it is judged and verified under the base's policy, and can never count as low-risk`;
  return { result: { id: ID, title: TITLE, state: 'passed', reason, matched: touched.map((t) => t.name), details: { rule: 'risk', value: { summary } } }, summary };
}

/**
 * Risk tiers: informs which tiers the range touches (the approvals rule enforces their sign-off). Passes
 * unless the changed files cannot be read completely.
 */
export const riskRule: Rule = {
  id: ID,
  title: TITLE,
  triggers: ['pull_request'],
  // Always: the built-in policy tier applies to every stage.
  applies: () => true,
  evaluate: async (ctx) => (await assessRisk(ctx)).result,
};
