import { DEFAULT_COMMANDS, RELEASE_NOTES_DEFAULTS, type StageConfig } from '../src/config/schema.js';
import { workflowPath } from '../src/protocol/deployment-payload.js';
import { evaluateGate } from '../src/gate/evaluate.js';
import type { GitHubRequester } from '../src/github/client.js';
import { createGitHubFacts } from '../src/github/facts.js';
import { stateHolds } from '../src/locks/holds.js';
import { freezeRule, lockRule, windowsRule } from '../src/rules/index.js';
import { mergeApprovalKey, protectionApprovalKey } from './audit-records.js';
import type { AppDeps } from './deps.js';

/** A `deployment_protection_rule.requested` delivery, as the handler needs it. */
export interface ProtectionRuleRequest {
  client: GitHubRequester;
  owner: string;
  repo: string;
  environment: string;
  /** `https://<host>/api/v3/repos/<owner>/<repo>/actions/runs/<run_id>/deployment_protection_rule` (or github.com's). */
  callbackUrl: string;
  deployment: { id: number; sha: string; ref: string };
  /** The triggering event (`workflow_dispatch`, `push`, ...). */
  event: string | null;
  sender: string | null;
}

/** What the app answered. */
export type ProtectionRuleOutcome = { kind: 'approved' | 'rejected'; runId: number; reason: string } | { kind: 'ignored'; why: string };

/** The run id of a callback URL, or null. */
export function runIdOfCallback(url: string): number | null {
  const m = /\/actions\/runs\/(\d+)\/deployment_protection_rule\/?$/.exec(url);
  const id = m ? Number(m[1]) : NaN;
  return Number.isSafeInteger(id) && id > 0 ? id : null;
}

interface ApprovedPolicy {
  stage: StageConfig;
  workflow: { path: string; ref: string };
}

function policyOf(details: Record<string, unknown>): ApprovedPolicy | null {
  const policy = details.policy as { workflow?: { path: string; ref: string } } | undefined;
  const stage = details.stage as StageConfig | undefined;
  return stage && policy?.workflow ? { stage, workflow: policy.workflow } : null;
}

/**
 * Custom deployment protection rule (protection-rule mode): GitHub asks before a job that uses the
 * stage's environment starts. The app approves only when, from its own records and GitHub's:
 * the job's commit is the merge commit of a promotion whose gate was green for that environment
 * (`merge.approved`), it is still what the stage branch points at (an older approved commit would
 * roll back unannounced), the waiting run is of the protected deploy workflow on the stage branch,
 * and the stage's deploy windows and freezes (under the approving policy) allow it now. Anything
 * else is rejected with the reason, which GitHub shows on the run. Every answer is audited.
 */
export async function reviewProtectionRule(deps: AppDeps, req: ProtectionRuleRequest): Promise<ProtectionRuleOutcome> {
  const { client, owner, repo, environment } = req;
  const repository = `${owner}/${repo}`;
  const runId = runIdOfCallback(req.callbackUrl);
  if (runId === null) return { kind: 'ignored', why: `the callback URL ${req.callbackUrl} names no workflow run` };
  const sha = req.deployment.sha.toLowerCase();
  const reasons: string[] = [];
  const approval = await deps.store.findByKey(mergeApprovalKey(repository, environment, sha));
  const policy = approval ? policyOf(approval.details) : null;
  if (!approval || !policy) reasons.push(`${sha.slice(0, 7)} is not the merge commit of a promotion to ${environment} whose gate was green`);
  if (policy) {
    const branch = (await client.request('GET /repos/{owner}/{repo}/branches/{branch}', { owner, repo, branch: policy.stage.branch })).data as { commit: { sha: string } };
    if (branch.commit.sha.toLowerCase() !== sha)
      reasons.push(`${policy.stage.branch} now points at ${branch.commit.sha.slice(0, 7)}: deploying the older ${sha.slice(0, 7)} would roll ${environment} back unannounced`);
    const run = (await client.request('GET /repos/{owner}/{repo}/actions/runs/{run_id}', { owner, repo, run_id: runId })).data as { path: string; head_branch: string | null; head_sha: string };
    if (run.path !== workflowPath(policy.workflow.path)) reasons.push(`run ${runId} is of ${run.path}, not of the deploy workflow ${policy.workflow.path}`);
    if (run.head_branch !== policy.workflow.ref) reasons.push(`run ${runId} runs on ${run.head_branch ?? 'no branch'}, not on ${policy.workflow.ref}`);
    if (run.head_sha.toLowerCase() !== sha) reasons.push(`run ${runId} is for ${run.head_sha.slice(0, 7)}, not the deployment's ${sha.slice(0, 7)}`);
    const facts = createGitHubFacts({ client, owner, repo, pullNumber: 0 });
    const config = {
      stages: [policy.stage],
      risk: [],
      deploy: { workflow: policy.workflow.path, mode: 'protection_rule' as const, start_timeout: '30m' },
      release_notes: RELEASE_NOTES_DEFAULTS,
      commands: { ...DEFAULT_COMMANDS },
      locks: {},
    };
    const timing = await evaluateGate({ config, stage: policy.stage, facts, now: deps.now(), holds: stateHolds(deps.chatops, repository, deps.now) }, { rules: [windowsRule, freezeRule, lockRule] });
    for (const r of timing.rules) if (r.state !== 'passed') reasons.push(`${r.title}: ${r.reason}`);
  }
  const state = reasons.length === 0 ? 'approved' : 'rejected';
  const reason =
    state === 'approved'
      ? `Stagegate: ${sha.slice(0, 7)} is the merge commit of a promotion to ${environment} that passed its gate; run ${runId} may deploy it.`
      : `Stagegate rejected this deployment to ${environment}: ${reasons.join('; ')}.`;
  // Durable before it is acted on: the approval is what later makes this job's verification evidence.
  await deps.store.append({
    repository,
    stage: environment,
    pullRequest: approval?.pullRequest ?? null,
    baseSha: approval?.baseSha ?? null,
    headSha: approval?.headSha ?? sha,
    at: deps.now().toISOString(),
    key: state === 'approved' ? protectionApprovalKey(repository, req.deployment.id) : `protection:${repository}:${req.deployment.id}:rejected:${runId}`,
    actor: req.sender,
    kind: 'protection_rule.reviewed',
    details: { deploymentId: req.deployment.id, runId, environment, sha, state, reason, event: req.event, ...(policy ? { workflow: policy.workflow.path, ref: policy.workflow.ref } : {}) },
  });
  await client.request('POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule', {
    owner,
    repo,
    run_id: runId,
    environment_name: environment,
    state,
    comment: reason.slice(0, 1000),
  });
  return { kind: state, runId, reason };
}
