import { mergeDecisionEvidence } from '../src/audit/evidence.js';
import type { AuditEventInput } from '../src/audit/types.js';
import { CONFIG_PATH } from '../src/config/load.js';
import type { Config, StageConfig } from '../src/config/schema.js';
import { decide } from '../src/gate/decision.js';
import { evaluateGate } from '../src/gate/evaluate.js';
import type { GateResult } from '../src/gate/types.js';
import type { GitHubRequester } from '../src/github/client.js';
import { createGitHubFacts } from '../src/github/facts.js';
import { repoUrlOf } from '../src/promotion/evaluate.js';
import { stateHolds } from '../src/locks/holds.js';
import { matchPromotion } from '../src/promotion/match.js';
import { promotionPayload } from '../src/protocol/deployment-payload.js';
import { MERGE_MARKER } from '../src/protocol/markers.js';
import { renderMergeComment, type MergeOutcome } from '../src/render/gate.js';
import { mergeApprovalKey } from './audit-records.js';
import { deployOnce } from './deploy-intent.js';
import type { AppDeps } from './deps.js';
import { latestOwnCheck } from './check-writes.js';
import { upsertComment } from './comment-writes.js';

/** A merged pull request to act on. */
export interface MergeInput {
  client: GitHubRequester;
  owner: string;
  repo: string;
  pullNumber: number;
  defaultBranch: string;
  deliveryId: string;
}

/** What handling a merge did. */
export type MergeResult =
  | { kind: 'skipped'; why: string }
  | { kind: 'bypassed'; reasons: string[] }
  | { kind: 'replayed'; deploymentId: number }
  | { kind: 'deployed'; deploymentId: number }
  /** Protection-rule mode: the merge commit is approved and the workflow dispatched; GitHub creates the deployment for the job. */
  | { kind: 'dispatched'; sha: string }
  | { kind: 'failed'; deploymentId: number | null; error: string };

function isFinalStage(config: Config, stage: StageConfig): boolean {
  return !config.stages.some((s) => s.from === stage.branch);
}

/**
 * On merge of a promotion PR: when the gate passed on the merged head (re-evaluated under the
 * policy the base had before the merge, and the last published `stagegate` check was green),
 * create one GitHub Deployment and dispatch the deploy workflow; otherwise deploy nothing and say
 * why. A replayed event finds the deployment it created and does nothing new.
 */
export async function handleMerge(deps: AppDeps, input: MergeInput): Promise<MergeResult> {
  const { client, owner, repo, pullNumber } = input;
  const repository = `${owner}/${repo}`;
  const cache = deps.cache ? { cache: deps.cache } : {};
  const merged = await createGitHubFacts({ client, owner, repo, pullNumber, ...cache }).pullRequest();
  if (!merged.merged || !merged.mergeCommitSha) return { kind: 'skipped', why: 'not merged' };
  const mergeCommit = (await client.request('GET /repos/{owner}/{repo}/git/commits/{commit_sha}', { owner, repo, commit_sha: merged.mergeCommitSha })).data as { parents: { sha: string }[] };
  const baseBefore = mergeCommit.parents[0]?.sha;
  if (!baseBefore) return { kind: 'skipped', why: 'the merge commit has no parent' };
  // The range is judged against the base as it was before the merge, never against the merge itself.
  const facts = createGitHubFacts({ client, owner, repo, pullNumber, baseSha: baseBefore, ...cache });
  const pr = await facts.pullRequest();
  if (!pr.merged || !pr.mergeCommitSha) return { kind: 'skipped', why: 'not merged' };
  const mergeSha = pr.mergeCommitSha;
  const repoUrl = repoUrlOf(pr);

  const match = await matchPromotion({ client, owner, repo, pr, defaultBranch: input.defaultBranch, configRef: baseBefore });
  if (match.kind === 'none') return { kind: 'skipped', why: match.why };

  const now = deps.now();
  const common = { repository, pullRequest: pr.number, baseSha: pr.baseSha, headSha: pr.headSha, at: now.toISOString() };

  const bypass = async (stage: string, state: GateResult['state'], reasons: string[], outcome: MergeOutcome): Promise<MergeResult> => {
    const record: AuditEventInput = {
      ...common,
      key: `merge:${repository}#${pr.number}@${mergeSha}:bypassed`,
      stage,
      actor: pr.mergedBy,
      kind: 'merge.bypassed',
      details: { mergeCommitSha: mergeSha, mergedBy: pr.mergedBy, gateState: state, reasons },
    };
    await deps.store.append(record);
    await upsertComment(client, { author: (await deps.self()).login, owner, repo, issueNumber: pr.number, marker: MERGE_MARKER, body: renderMergeComment(outcome, repoUrl) });
    return { kind: 'bypassed', reasons };
  };

  if (match.kind === 'invalid-config') {
    const reasons = match.errors.map((e) => `${e.file}:${e.line ?? '?'}: ${e.path}: ${e.message}`);
    return bypass(pr.baseRef, 'blocked', reasons, { kind: 'config-invalid', stage: null, errors: match.errors });
  }

  const { stage, config } = match;
  const self = await deps.self();
  const [result, lastCheck] = await Promise.all([
    evaluateGate({ config, stage, facts, now, app: { id: self.id, slug: self.slug }, holds: stateHolds(deps.chatops, repository, deps.now) }),
    latestOwnCheck(client, { owner, repo, sha: pr.headSha }),
  ]);
  const decision = decide(result);
  const reasons = [...decision.reasons];
  if (lastCheck?.conclusion !== 'success') reasons.push(`the last published stagegate check on ${pr.headSha.slice(0, 7)} was ${lastCheck ? (lastCheck.conclusion ?? lastCheck.status) : 'missing'}`);
  if (decision.kind !== 'deploy' || lastCheck?.conclusion !== 'success') {
    return bypass(stage.name, result.state === 'passed' ? 'pending' : result.state, reasons, {
      kind: 'bypassed',
      stage: stage.name,
      sha: mergeSha,
      state: result.state === 'passed' ? 'pending' : result.state,
      reasons,
      mergedBy: pr.mergedBy,
    });
  }

  const approvers = result.approvals.filter((a) => a.counted).map((a) => ({ login: a.login, commit: a.commitId, at: a.submittedAt }));
  // The policy that approved the promotion travels with it: the Action verifies with this, never with the deployed commit's.
  const payload = promotionPayload({
    stage,
    pullRequest: pr.number,
    base: pr.baseSha,
    head: pr.headSha,
    mergeCommit: mergeSha,
    approvers,
    source: {
      ref: baseBefore,
      path: CONFIG_PATH,
      fellBack: match.origin.fellBack,
      ...(match.origin.extendsFrom ? { extendsFrom: match.origin.extendsFrom } : {}),
      ...(match.origin.blobSha ? { blobSha: match.origin.blobSha } : {}),
      ...(match.origin.extendsBlobSha ? { extendsBlobSha: match.origin.extendsBlobSha } : {}),
    },
    workflow: { file: config.deploy.workflow, ref: config.deploy.ref ?? stage.branch },
  });
  const evidence = mergeDecisionEvidence({
    pr,
    origin: match.origin,
    path: CONFIG_PATH,
    result,
    requiredChecks: stage.checks,
    mergedBy: pr.mergedBy,
    commits: await facts.commits(),
    checks: await facts.checks(pr.headSha).then(
      (c) => (c.complete ? c.items : null),
      () => null,
    ),
  });
  // The merge commit may deploy to the stage: the record a protection-rule request is checked against.
  await deps.store.append({
    ...common,
    key: mergeApprovalKey(repository, stage.name, mergeSha),
    stage: stage.name,
    actor: pr.mergedBy,
    kind: 'merge.approved',
    details: { mergeCommitSha: mergeSha, mode: config.deploy.mode, policy: payload.policy, stage, approvers, evidence },
  });
  return deployOnce(deps, {
    client,
    owner,
    repo,
    config,
    stage,
    mergeSha,
    pullRequest: pr.number,
    mergedBy: pr.mergedBy,
    repoUrl,
    common,
    payload,
    evidence,
    finalStage: isFinalStage(config, stage),
  });
}
