import { CONFIG_PATH, type ConfigOrigin } from '../src/config/load.js';
import type { Config, StageConfig } from '../src/config/schema.js';
import type { GateResult } from '../src/gate/types.js';
import { statusOf, type GitHubRequester } from '../src/github/client.js';
import { decideAutoMerge, type AutoMergeDecision } from '../src/promotion/auto-merge.js';
import type { AppDeps } from './deps.js';

/** What the auto-merge step did after an evaluation. */
export type AutoMergeOutcome = AutoMergeDecision | { kind: 'merged'; sha: string } | { kind: 'failed'; why: string };

/**
 * After an evaluation: when the stage merges itself and the decision is `merge`, records
 * `promotion.auto_merged` (durable before acting) and merges the PR through GitHub's merge API,
 * pinned to the head the gate passed on (`sha`: a newer push makes GitHub refuse with 409, and the
 * new head is evaluated anew). GitHub then sends `pull_request.closed` (merged by the app's bot),
 * and the merge goes through the same flow as a person's: re-evaluated under the base's policy,
 * `merge.approved`, deployment, dispatch. A merge commit always (a squash or rebase would make the
 * stage branch diverge from the branch it promotes from).
 */
export async function autoMerge(
  deps: AppDeps,
  client: GitHubRequester,
  where: { owner: string; repo: string; pullNumber: number },
  e: { config: Config; stage: StageConfig; result: GateResult; origin: ConfigOrigin },
): Promise<AutoMergeOutcome> {
  const decision = decideAutoMerge(e.config, e.stage, e.result);
  if (decision.kind !== 'merge') return decision;
  const repository = `${where.owner}/${where.repo}`;
  const self = await deps.self();
  await deps.store.append({
    key: `promotion:${repository}#${where.pullNumber}@${decision.headSha}:auto_merged`,
    repository,
    stage: e.stage.name,
    pullRequest: where.pullNumber,
    baseSha: e.result.baseSha,
    headSha: decision.headSha,
    actor: self.login,
    kind: 'promotion.auto_merged',
    at: deps.now().toISOString(),
    details: {
      pullRequest: where.pullNumber,
      headSha: decision.headSha,
      mergeCommitSha: null,
      via: 'app',
      policy: { ref: e.origin.ref, path: CONFIG_PATH, blobSha: e.origin.blobSha ?? null },
      why: decision.why,
    },
  });
  try {
    const res = await client.request('PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge', {
      owner: where.owner,
      repo: where.repo,
      pull_number: where.pullNumber,
      sha: decision.headSha,
      merge_method: 'merge',
      commit_title: `Promote to ${e.stage.name}: merged by Stagegate (#${where.pullNumber})`,
      commit_message: `${decision.why}.\nauto_merge: true on stage ${e.stage.name}, policy ${CONFIG_PATH} at ${e.origin.ref}${e.origin.blobSha ? ` (blob ${e.origin.blobSha.slice(0, 12)})` : ''}.`,
    });
    return { kind: 'merged', sha: res.data.sha };
  } catch (err) {
    const status = statusOf(err);
    // 405: not mergeable now (branch protection, a conflict); 409: the head moved. The next event evaluates again.
    return { kind: 'failed', why: `GitHub refused the merge${status ? ` (HTTP ${status})` : ''}: ${(err as Error).message}` };
  }
}
