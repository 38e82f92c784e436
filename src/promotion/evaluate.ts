import type { Listing, MergedPullFact, PromotionFacts, PullRequestFact } from '../facts/types.js';
import { evaluateGate } from '../gate/evaluate.js';
import type { AppIdentity, GateEvent, GateResult, StageHolds } from '../gate/types.js';
import type { GitHubRequester } from '../github/client.js';
import { githubConfigSource } from '../github/config-source.js';
import type { FactCache } from '../github/fact-cache.js';
import { createGitHubFacts, reuseWindow } from '../github/facts.js';
import type { GateView } from '../render/gate.js';
import { buildReleaseNotes } from '../release-notes/model.js';
import { matchPromotion, type PromotionMatch } from './match.js';

/** Repository web URL from a PR's web URL (works for GitHub Enterprise hosts too). */
export function repoUrlOf(pr: PullRequestFact): string {
  return pr.htmlUrl.replace(/\/pull\/\d+$/, '');
}

async function settle<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch {
    return null;
  }
}

/** Builds the render view; facts the rules already read are memoised, so this costs little. */
export async function gateView(facts: PromotionFacts, pr: PullRequestFact, match: Extract<PromotionMatch, { kind: 'promotion' }>, result: GateResult): Promise<GateView> {
  const [commits, mergedPulls] = await Promise.all([settle(facts.commits()), settle<Listing<MergedPullFact>>(facts.mergedPulls())]);
  const releaseNotes = commits ? buildReleaseNotes({ range: { from: pr.baseSha, to: pr.headSha }, commits, pulls: mergedPulls, config: match.config }) : null;
  return { result, pullRequest: pr, commits, mergedPulls, releaseNotes, configOrigin: match.origin, repoUrl: repoUrlOf(pr) };
}

/** What evaluating a pull request's gate found. */
export type PullEvaluation =
  | { kind: 'closed'; pr: PullRequestFact; facts: PromotionFacts }
  | { kind: 'not-promotion'; pr: PullRequestFact; facts: PromotionFacts; match: Extract<PromotionMatch, { kind: 'none' }> }
  | { kind: 'invalid-config'; pr: PullRequestFact; facts: PromotionFacts; match: Extract<PromotionMatch, { kind: 'invalid-config' }> }
  | { kind: 'evaluated'; pr: PullRequestFact; facts: PromotionFacts; match: Extract<PromotionMatch, { kind: 'promotion' }>; result: GateResult; view: GateView };

/**
 * Evaluates a pull request's gate from GitHub's current state, read-only: the pull request, the
 * policy of its base (never its head), every rule. The app's gate runner publishes what this
 * returns; `stagegate explain` prints it. Nothing is written to GitHub or the audit trail here.
 */
export async function evaluatePullRequest(input: {
  client: GitHubRequester;
  owner: string;
  repo: string;
  pullNumber: number;
  defaultBranch: string;
  now: Date;
  /** The app's fact cache across evaluations, and the events that caused this one (none: read everything anew). */
  cache?: FactCache;
  events?: GateEvent[];
  /** The Stagegate app (evidence is what it created or approved); without it `verified_in` trusts nothing. */
  app?: AppIdentity;
  /** The app's own record of protection-rule approvals (run id per job deployment). */
  approvedRunOf?: (deploymentId: number) => Promise<number | null>;
  /** Locks and break-glass from the app's database; without them the lock rule is not passed. */
  holds?: StageHolds;
}): Promise<PullEvaluation> {
  const { client, owner, repo, pullNumber, cache } = input;
  const events = input.events;
  const facts = createGitHubFacts({
    client,
    owner,
    repo,
    pullNumber,
    ...(events ? { events } : {}),
    ...(cache ? { cache } : {}),
    ...(input.approvedRunOf ? { approvedRunOf: input.approvedRunOf } : {}),
  });
  const pr = await facts.pullRequest();
  if (pr.state !== 'open') return { kind: 'closed', pr, facts };
  const source = cache ? githubConfigSource(client, { cache, reuseMs: reuseWindow(cache, events, 'policy') }) : undefined;
  const match = await matchPromotion({ client, owner, repo, pr, defaultBranch: input.defaultBranch, ...(source ? { source } : {}) });
  if (match.kind === 'none') return { kind: 'not-promotion', pr, facts, match };
  if (match.kind === 'invalid-config') return { kind: 'invalid-config', pr, facts, match };
  const result = await evaluateGate({ config: match.config, stage: match.stage, facts, now: input.now, ...(input.app ? { app: input.app } : {}), ...(input.holds ? { holds: input.holds } : {}) });
  const view = await gateView(facts, pr, match, result);
  return { kind: 'evaluated', pr, facts, match, result, view };
}
