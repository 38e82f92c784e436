import type { Config, StageConfig } from '../config/schema.js';
import type { BreakGlass } from '../break-glass/types.js';
import type { PromotionFacts } from '../facts/types.js';
import type { StageLock } from '../locks/types.js';

/** Rule states, ordered: the gate's state is the worst of its rules'. */
export type RuleState = 'passed' | 'pending' | 'blocked';

/** Order of states: passed < pending < blocked. */
export const STATE_ORDER: Record<RuleState, number> = { passed: 0, pending: 1, blocked: 2 };

/** The worse of states (passed for none). */
export function worst(states: readonly RuleState[]): RuleState {
  return states.reduce<RuleState>((acc, s) => (STATE_ORDER[s] > STATE_ORDER[acc] ? s : acc), 'passed');
}

/** Rule identifiers. */
export type RuleId = 'approvals' | 'separation-of-duties' | 'verified-commits' | 'risk' | 'required-checks' | 'verified-in' | 'windows' | 'freeze' | 'lock' | 'config';

/** Events whose arrival can change a rule's result. */
/** `command`: a ChatOps command changed the app's own state (a lock taken or released, a break-glass): no GitHub fact changed. */
export type GateEvent = 'pull_request' | 'pull_request_review' | 'check_run' | 'check_suite' | 'status' | 'deployment_status' | 'workflow_run' | 'time' | 'command';

/** Why an approval was refused. */
export type RefusalReason = 'stale-commit' | 'author' | 'committer' | 'co-author' | 'pusher' | 'not-eligible' | 'superseded' | 'pr-author';

/** How one review was judged. */
export interface ApprovalVerdict {
  login: string;
  reviewId: number;
  commitId: string;
  submittedAt: string;
  counted: boolean;
  refusal?: RefusalReason;
  /** Human explanation, e.g. "approved 1a2b3c4, head is 5d6e7f8". */
  detail?: string;
}

/** One rule's result: its state, why, and the values it matched. */
export interface RuleResult {
  id: RuleId;
  title: string;
  state: RuleState;
  reason: string;
  /** Who or what satisfied (or failed) the rule: logins, check names, deployment ids. */
  matched: string[];
  /** Sub-results, e.g. one per sign-off requirement. */
  children?: RuleResult[];
  /** When time alone may change this result (a window opening or closing, a soak ending, a freeze starting or ending); ISO 8601. */
  nextChangeAt?: string;
  /**
   * The rule's own typed output beside its verdict (the approvals rule's verdicts and sign-off, the risk
   * rule's tiers), read by rule id with {@link detailsOf}. The evaluator lifts it into the gate's result
   * and leaves it off the rule results it returns.
   */
  details?: RuleDetails;
}

/** Each rule's typed output, by rule id. */
export interface RuleDetailsById {
  approvals: { verdicts: ApprovalVerdict[]; signoff: SignoffSummary };
  risk: { summary: RiskSummary };
}

/** One rule's typed output, tagged with the id of the rule that owns it. */
export type RuleDetails = { [K in keyof RuleDetailsById]: { rule: K; value: RuleDetailsById[K] } }[keyof RuleDetailsById];

/** The typed output of the rule `id` among `results`, or undefined when that rule did not run or could not tell. */
export function detailsOf<K extends keyof RuleDetailsById>(results: readonly RuleResult[], id: K): RuleDetailsById[K] | undefined {
  for (const r of results) {
    // The union member tagged K carries RuleDetailsById[K]; TypeScript cannot narrow a generic tag, hence the one cast.
    if (r.id === id && r.details?.rule === id) return r.details.value as RuleDetailsById[K];
  }
  return undefined;
}

/** A rule in its own file: which events can change it, and a side-effect-free evaluation. */
export interface Rule {
  id: RuleId;
  title: string;
  /** Events that can change this rule's result; other events skip it. */
  triggers: readonly GateEvent[];
  /** Whether the rule applies to the stage at all. */
  applies(stage: StageConfig, config: Config): boolean;
  evaluate(ctx: RuleContext): Promise<RuleResult>;
}

/** Who the Stagegate app is: its id and/or slug (evidence is what this app created or approved). */
export interface AppIdentity {
  id: number | null;
  slug: string | null;
}

/**
 * What the app's own database says about a stage and a promotion: facts no one on GitHub can post.
 * Reads throw when the database cannot be read (the lock rule then fails closed).
 */
export interface StageHolds {
  /** The stage's active lock (expired ones excluded), or null. */
  lock(stage: string): Promise<StageLock | null>;
  /** The break-glass in force for this promotion's head, or null. */
  breakGlass(stage: string, pullRequest: number, headSha: string): Promise<BreakGlass | null>;
}

/** What a rule sees. */
export interface RuleContext {
  config: Config;
  stage: StageConfig;
  facts: PromotionFacts;
  now: Date;
  /** The Stagegate app; rules that need evidence fail closed without it. */
  app?: AppIdentity;
  /** Locks and break-glass from the app's database; without it the lock rule fails closed. */
  holds?: StageHolds;
}

/** The risk tiers a range touches. */
export interface RiskSummary {
  /** Tier names (or globs) touched, with the files that matched. */
  touched: { name: string; level: 'low' | 'normal' | 'high'; files: string[] }[];
  /** True when every changed file matches a low tier: no manual sign-off needed. */
  lowOnly: boolean;
  /** Changed files of Stagegate's policy or of workflows (the built-in high tier); the comment says the policy itself changes. */
  policyChanged: string[];
}

/** The sign-off this range needs: each requirement (the stage's, touched risk tiers', the team on duty's) and its count. */
export interface SignoffSummary {
  /** Approvals needed in all (0: no manual sign-off). */
  required: number;
  requirements: { label: string; kind: 'stage' | 'risk' | 'duty'; approvals: number; waived: boolean }[];
}

/** The gate's result for one evaluation. */
export interface GateResult {
  repository: string;
  stage: string;
  pullRequest: number;
  baseSha: string;
  headSha: string;
  state: RuleState;
  evaluatedAt: string;
  rules: RuleResult[];
  approvals: ApprovalVerdict[];
  risk: RiskSummary | null;
  /** What sign-off the range needs; null when the approvals rule could not tell (it is then blocked). */
  signoff?: SignoffSummary | null;
  /** When the gate waits only on time (a window or soak), when it may next change. */
  nextChangeAt?: string;
  /** Set when a break-glass let this head through: who, why, and the rules it waived. */
  breakGlass?: BreakGlassSummary;
}

/** A break-glass as the gate shows it. */
export interface BreakGlassSummary {
  by: string;
  reason: string;
  at: string;
  /** Rules that were not passed and passed only because of the break-glass. */
  waived: RuleId[];
  followUp: { issueNumber: number | null; issueUrl: string | null; deadline: string; approvals: number; approvalsRequired: number };
}

/** What the outer layer should do: data, not side effects. */
export type Decision = { kind: 'deploy'; reasons: string[] } | { kind: 'wait'; reasons: string[] } | { kind: 'block'; reasons: string[] };
