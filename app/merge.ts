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
import { parseDeploymentPayload, promotionPayload } from '../src/protocol/deployment-payload.js';
import { dispatchInputs } from '../src/protocol/dispatch.js';
import { isStagegateApp } from '../src/protocol/evidence.js';
import { MERGE_MARKER } from '../src/protocol/markers.js';
import { renderMergeComment, type MergeOutcome } from '../src/render/gate.js';
import { mergeApprovalKey } from './audit-records.js';
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

interface ApiDeployment {
  id: number;
  sha: string;
  environment: string;
  payload: unknown;
  performed_via_github_app?: { id: number; slug?: string } | null;
}

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
  if (config.deploy.mode === 'protection_rule') return dispatchForProtectionRule(deps, input, { config, stage, mergeSha, pr: pr.number, common, repoUrl });

  const existing = ((await client.request('GET /repos/{owner}/{repo}/deployments', { owner, repo, sha: mergeSha, environment: stage.name, per_page: 100 })).data as ApiDeployment[]).find((d) => {
    const p = parseDeploymentPayload(d.payload);
    return (
      isStagegateApp(d.performed_via_github_app ? { id: d.performed_via_github_app.id, slug: d.performed_via_github_app.slug ?? null } : null, {
        app: { id: self.id, slug: self.slug },
        repository,
        workflow: '',
        ref: '',
      }) &&
      p.kind === 'promotion' &&
      p.payload.pull_request === pr.number
    );
  });
  const dispatchKey = (id: number, outcome: 'dispatched' | 'dispatch-failed') => `deployment:${repository}:${id}:${outcome}`;
  let deploymentId: number;
  if (existing) {
    // Dispatched before (recorded), or already picked up by the Action: a replay creates nothing new.
    const statuses = (await client.request('GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', { owner, repo, deployment_id: existing.id, per_page: 100 })).data as { state: string }[];
    const recorded = (await deps.store.findByKey(dispatchKey(existing.id, 'dispatched'))) ?? (await deps.store.findByKey(dispatchKey(existing.id, 'dispatch-failed')));
    if (recorded || statuses.some((s) => s.state !== 'queued')) return { kind: 'replayed', deploymentId: existing.id };
    deploymentId = existing.id;
  } else {
    const anchor = await deps.store.head(repository);
    const created = await client.request('POST /repos/{owner}/{repo}/deployments', {
      owner,
      repo,
      ref: mergeSha,
      environment: stage.name,
      task: 'deploy',
      auto_merge: false,
      required_contexts: [],
      // The audit chain head goes with the deployment: an anchor the database owner cannot rewrite.
      payload: { ...payload, ...(anchor ? { audit_anchor: { seq: anchor.seq, hash: anchor.hash } } : {}) },
      description: `Promotion #${pr.number} to ${stage.name}`.slice(0, 140),
      production_environment: isFinalStage(config, stage),
      transient_environment: false,
    });
    deploymentId = (created.data as { id: number }).id;
  }

  const setStatus = (state: 'queued' | 'error', description: string) =>
    client.request('POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', { owner, repo, deployment_id: deploymentId, state, description: description.slice(0, 140) });

  try {
    await deps.store.append({
      ...common,
      key: `deployment:${repository}:${deploymentId}:created`,
      stage: stage.name,
      actor: pr.mergedBy,
      kind: 'deployment.created',
      details: { deploymentId, environment: stage.name, sha: mergeSha, ...evidence },
    });
  } catch (err) {
    const error = `the audit trail could not record the deployment (${(err as Error).message}); nothing was dispatched`;
    await setStatus('error', error);
    await upsertComment(client, {
      author: (await deps.self()).login,
      owner,
      repo,
      issueNumber: pr.number,
      marker: MERGE_MARKER,
      body: renderMergeComment({ kind: 'dispatch-failed', stage: stage.name, deploymentId, sha: mergeSha, workflow: config.deploy.workflow, error }, repoUrl),
    });
    return { kind: 'failed', deploymentId, error };
  }

  const ref = config.deploy.ref ?? stage.branch;
  const inputs = dispatchInputs({ environment: stage.name, sha: mergeSha, deploymentId, pullRequest: pr.number });
  // `queued` goes first: a fast runner's `in_progress`/`success` must never be followed by it.
  await setStatus('queued', `dispatching ${config.deploy.workflow}`);
  try {
    await client.request('POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches', { owner, repo, workflow_id: config.deploy.workflow, ref, inputs });
  } catch (err) {
    const error = `${(err as Error).message}`;
    await setStatus('error', `dispatch of ${config.deploy.workflow} failed: ${error}`);
    await deps.store.append({
      ...common,
      key: dispatchKey(deploymentId, 'dispatch-failed'),
      stage: stage.name,
      actor: null,
      kind: 'deployment.dispatched',
      details: { deploymentId, workflow: config.deploy.workflow, ref, inputs, error },
    });
    await upsertComment(client, {
      author: (await deps.self()).login,
      owner,
      repo,
      issueNumber: pr.number,
      marker: MERGE_MARKER,
      body: renderMergeComment({ kind: 'dispatch-failed', stage: stage.name, deploymentId, sha: mergeSha, workflow: config.deploy.workflow, error }, repoUrl),
    });
    return { kind: 'failed', deploymentId, error };
  }
  await deps.store.append({
    ...common,
    key: dispatchKey(deploymentId, 'dispatched'),
    stage: stage.name,
    actor: null,
    kind: 'deployment.dispatched',
    details: { deploymentId, workflow: config.deploy.workflow, ref, inputs },
  });
  await upsertComment(client, {
    author: (await deps.self()).login,
    owner,
    repo,
    issueNumber: pr.number,
    marker: MERGE_MARKER,
    body: renderMergeComment({ kind: 'deployed', stage: stage.name, deploymentId, sha: mergeSha, workflow: config.deploy.workflow, dispatched: true }, repoUrl),
  });
  return { kind: 'deployed', deploymentId };
}

/**
 * Protection-rule mode: no deployment is created here. The workflow is dispatched on the stage
 * branch; its job's `environment:` makes GitHub create the one deployment of this promotion and ask
 * the app, which approves it against the merge approval just recorded (./protection-rule.ts).
 */
async function dispatchForProtectionRule(
  deps: AppDeps,
  input: MergeInput,
  m: { config: Config; stage: StageConfig; mergeSha: string; pr: number; common: Omit<AuditEventInput, 'key' | 'stage' | 'actor' | 'kind' | 'details'>; repoUrl: string },
): Promise<MergeResult> {
  const { client, owner, repo } = input;
  const repository = `${owner}/${repo}`;
  const key = `merge:${repository}:${m.stage.name}@${m.mergeSha}:dispatched`;
  if (await deps.store.findByKey(key)) return { kind: 'replayed', deploymentId: 0 };
  const ref = m.config.deploy.ref ?? m.stage.branch;
  const inputs = dispatchInputs({ environment: m.stage.name, sha: m.mergeSha, deploymentId: null, pullRequest: m.pr });
  const author = (await deps.self()).login;
  try {
    await client.request('POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches', { owner, repo, workflow_id: m.config.deploy.workflow, ref, inputs });
  } catch (err) {
    const error = (err as Error).message;
    await deps.store.append({
      ...m.common,
      key: `${key}-failed`,
      stage: m.stage.name,
      actor: null,
      kind: 'deployment.dispatched',
      details: { mode: 'protection_rule', workflow: m.config.deploy.workflow, ref, inputs, error },
    });
    await upsertComment(client, {
      author,
      owner,
      repo,
      issueNumber: m.pr,
      marker: MERGE_MARKER,
      body: renderMergeComment({ kind: 'dispatch-failed', stage: m.stage.name, deploymentId: null, sha: m.mergeSha, workflow: m.config.deploy.workflow, error }, m.repoUrl),
    });
    return { kind: 'failed', deploymentId: null, error };
  }
  await deps.store.append({ ...m.common, key, stage: m.stage.name, actor: null, kind: 'deployment.dispatched', details: { mode: 'protection_rule', workflow: m.config.deploy.workflow, ref, inputs } });
  await upsertComment(client, {
    author,
    owner,
    repo,
    issueNumber: m.pr,
    marker: MERGE_MARKER,
    body: renderMergeComment({ kind: 'deployed', stage: m.stage.name, deploymentId: null, sha: m.mergeSha, workflow: m.config.deploy.workflow, dispatched: true }, m.repoUrl),
  });
  return { kind: 'dispatched', sha: m.mergeSha };
}
