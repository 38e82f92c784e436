import { deploymentMarker } from '../protocol/markers.js';
import { statusDescription, verifiedDescription, fitDescription } from '../protocol/status.js';
import { valuesDescription } from '../protocol/verification-values.js';
import { renderDeployReport, renderInProgress } from '../render/deploy-report.js';
import { deployAndVerify, type AttemptDeps } from './attempt.js';
import { GitHubError, type DeployGitHub, type StatusInput } from './github.js';
import { preflight, type Approved, type DeploymentInputs, type PreflightContext } from './preflight.js';
import { findPreviousVerified } from './previous.js';
import { rollBack } from './rollback.js';
import type { DeployAttempt, DeploymentReport, ReasonCode } from './types.js';
import { gitWorkTrees, type WorkTrees } from './worktree.js';
import { shortSha } from '../text.js';

export type { DeploymentInputs } from './preflight.js';
export type { DeployLog } from './attempt.js';
export { commandBaseEnv } from './attempt.js';

/** Everything `runDeployment` needs from the outside world. */
export interface DeploymentDeps extends AttemptDeps, Pick<PreflightContext, 'runId' | 'workflowRef' | 'runSha' | 'defaultBranch' | 'checkoutSha'> {
  github: DeployGitHub;
  /** `owner/repo`. */
  repository: string;
  /** The checkout of the deployed commit (GITHUB_WORKSPACE). */
  workspace: string;
  /** `https://github.com` or a GHES URL (GITHUB_SERVER_URL). */
  serverUrl: string;
  /** Work trees for the rollback target (default: `git worktree` beside the workspace). */
  workTrees?: WorkTrees;
}

const errMsg = (err: unknown): string => (err instanceof Error ? err.message : String(err));

function newReport(inputs: DeploymentInputs, deps: DeploymentDeps, started: number): DeploymentReport {
  const id = /^\d+$/.test(inputs.deploymentId) && Number(inputs.deploymentId) > 0 ? Number(inputs.deploymentId) : null;
  return {
    version: 1,
    result: 'failure',
    reasonCode: 'internal-error',
    message: '',
    dryRun: inputs.dryRun,
    mode: inputs.deploymentId ? 'dispatch' : 'protection_rule',
    repository: deps.repository,
    environment: inputs.environment,
    sha: inputs.sha,
    deploymentId: id,
    pullRequest: /^\d+$/.test(inputs.pullRequest) && Number(inputs.pullRequest) > 0 ? Number(inputs.pullRequest) : null,
    previousSha: null,
    environmentUrl: null,
    deployTimeout: null,
    runUrl: deps.runId ? `${deps.serverUrl}/${deps.repository}/actions/runs/${deps.runId}` : null,
    compareUrl: null,
    attempt: null,
    rollback: null,
    rollbackSkipped: null,
    startedAt: new Date(started).toISOString(),
    finishedAt: '',
    durationMs: 0,
    warnings: [],
  };
}

/**
 * Deploys the approved commit of one deployment, verifies it (smoke tests, metric checks), records
 * the outcome as deployment statuses and a PR comment, and rolls back on failure when the stage
 * says so. Only what Stagegate approved runs (./preflight.ts), under the policy that approved it.
 * Never throws: every failure becomes a report with a reason code.
 */
export async function runDeployment(inputs: DeploymentInputs, deps: DeploymentDeps): Promise<DeploymentReport> {
  const now = deps.now ?? Date.now;
  const started = now();
  const report = newReport(inputs, deps, started);
  try {
    await execute(inputs, deps, report);
  } catch (err) {
    report.result = 'failure';
    report.reasonCode = err instanceof GitHubError ? 'github-error' : 'internal-error';
    report.message = errMsg(err);
    deps.log.error(`stagegate: ${report.reasonCode}: ${report.message}`);
  }
  const finished = now();
  report.finishedAt = new Date(finished).toISOString();
  report.durationMs = finished - started;
  return report;
}

async function execute(inputs: DeploymentInputs, deps: DeploymentDeps, report: DeploymentReport): Promise<void> {
  const { github: gh, log } = deps;
  const writes = !inputs.dryRun;
  const setStatus = async (id: number, s: StatusInput): Promise<void> => {
    if (!writes) return;
    await gh.createStatus(id, { ...s, description: fitDescription(s.description), ...(report.runUrl ? { logUrl: report.runUrl } : {}) });
  };
  // Comments are written one after another, in the order asked (the in-progress one runs while the
  // deploy starts; the final report waits for it, so it can never be overwritten by it).
  let comments: Promise<void> = Promise.resolve();
  const comment = (body: string): Promise<void> => (comments = comments.then(() => writeComment(body)));
  const writeComment = async (body: string): Promise<void> => {
    if (!writes || report.pullRequest === null || report.deploymentId === null) return;
    try {
      const ref = await gh.upsertComment(report.pullRequest, deploymentMarker(report.deploymentId), body);
      log.info(`stagegate: ${ref.created ? 'posted' : 'updated'} the report on pull request #${report.pullRequest}: ${ref.url}`);
    } catch (err) {
      const w = `could not write the comment on pull request #${report.pullRequest}: ${errMsg(err)}`;
      report.warnings.push(w);
      log.warning(`stagegate: ${w}`);
    }
  };
  // Each check's observed value and threshold, one status each in this run's name, before the final
  // status: the audit trail records them from there (src/protocol/verification-values.ts).
  const postValues = async (attempt: DeployAttempt): Promise<void> => {
    const checks = [...attempt.smoke, ...attempt.metrics];
    for (const [i, c] of checks.entries()) {
      const values = { kind: c.kind, name: c.name, verdict: c.verdict, observed: c.observed, threshold: c.threshold };
      try {
        await setStatus(attempt.deploymentId, { state: 'in_progress', description: valuesDescription(values, i + 1, checks.length) });
      } catch (err) {
        report.warnings.push(`could not record the values of check ${c.name}: ${errMsg(err)}`);
        return;
      }
    }
  };
  const fail = (code: ReasonCode, message: string): void => {
    report.result = 'failure';
    report.reasonCode = code;
    report.message = message;
  };

  // 1. Only what Stagegate approved, from a run of the protected workflow.
  let approved: Approved;
  try {
    const pre = await preflight(inputs, { ...deps, warn: (m) => log.warning(`stagegate: ${m}`) });
    if (!pre.ok) {
      const r = pre.refusal;
      fail(r.code, r.message);
      report.deploymentId = r.deployment?.id ?? report.deploymentId;
      report.pullRequest = r.pullRequest ?? report.pullRequest;
      log.error(`stagegate: refused: ${r.code}: ${r.message}; nothing was run`);
      if (r.writeStatus && r.deployment) {
        await setStatus(r.deployment.id, { state: 'error', description: statusDescription('failure', r.code, r.message) }).catch((err: unknown) => {
          report.warnings.push(`could not set the deployment status to error: ${errMsg(err)}`);
        });
      }
      if (r.deployment) await comment(renderDeployReport(report));
      return;
    }
    approved = pre.approved;
  } catch (err) {
    fail('github-error', `could not check the deployment with GitHub: ${errMsg(err)}; nothing was run`);
    log.error(`stagegate: ${report.message}`);
    return;
  }
  const { deployment, sha, policy } = approved;
  report.sha = sha;
  report.mode = approved.mode;
  report.deploymentId = deployment.id;
  report.pullRequest = approved.pullRequest;
  report.environmentUrl = policy.deploy.url ?? null;
  report.deployTimeout = policy.deploy.timeout;

  // 2. What runs now: the rollback target.
  let previous;
  try {
    previous = await findPreviousVerified(gh, deployment, approved.trust, approved.mode, approved.environmentDeployments);
  } catch (err) {
    fail('github-error', `could not list earlier deployments of ${inputs.environment}: ${errMsg(err)}`);
    await setStatus(deployment.id, { state: 'error', description: statusDescription('failure', 'github-error', report.message) }).catch(() => undefined);
    await comment(renderDeployReport(report));
    return;
  }
  for (const s of previous.skipped) log.info(`stagegate: not a rollback target: deployment ${s.id} of ${shortSha(s.sha)}: ${s.why}`);
  const prev = previous.previous;
  report.previousSha = prev?.sha ?? null;
  if (prev && prev.sha !== sha) report.compareUrl = `${deps.serverUrl}/${deps.repository}/compare/${prev.sha}...${sha}`;
  log.info(`stagegate: deploying ${sha} to ${inputs.environment} (deployment ${deployment.id}, ${approved.mode} mode); previous verified deployment: ${prev ? `${prev.id} at ${prev.sha}` : 'none'}`);

  if (inputs.dryRun) {
    report.result = 'success';
    report.reasonCode = 'dry-run';
    const checks = (policy.verify?.smoke.length ?? 0) + (policy.verify?.metrics?.checks.length ?? 0);
    report.message = `would run "${policy.deploy.command}" then ${checks} check(s); nothing was deployed or changed`;
    log.info(`stagegate: dry run: ${report.message}`);
    return;
  }

  // 3. Deploy and verify, under the approving policy.
  await setStatus(deployment.id, { state: 'in_progress', description: `in_progress: deploying ${shortSha(sha)}` });
  // The in_progress status is written before anything runs (a deployment runs once); the comment
  // saying so is posted while the deploy starts.
  const inProgress = comment(
    renderInProgress({ environment: inputs.environment, sha, deploymentId: deployment.id, previousSha: report.previousSha, runUrl: report.runUrl, compareUrl: report.compareUrl }),
  );
  let attempt;
  try {
    attempt = await deployAndVerify(deps, policy, {
      deploymentId: deployment.id,
      sha,
      previousSha: report.previousSha,
      pullRequest: report.pullRequest,
      rollbackOf: null,
      workTree: deps.workspace,
      command: policy.deploy.command,
      timeout: policy.deploy.timeout,
      withMetrics: true,
    });
  } finally {
    await inProgress;
  }
  report.attempt = attempt;
  await postValues(attempt);

  if (attempt.reasonCode === 'ok') {
    try {
      await setStatus(deployment.id, { state: 'success', description: verifiedDescription(sha), ...(policy.deploy.url ? { environmentUrl: policy.deploy.url } : {}) });
      report.result = 'success';
      report.reasonCode = 'ok';
      report.message = attempt.message;
    } catch (err) {
      fail('github-error', `deployed and verified, but the success status could not be recorded: ${errMsg(err)}`);
      log.error(`stagegate: ${report.message}`);
    }
    await comment(renderDeployReport(report));
    return;
  }

  // 4. Failure, and rollback to the previous verified commit's own code.
  fail(attempt.reasonCode, attempt.message);
  log.error(`stagegate: deploy of ${shortSha(sha)} to ${inputs.environment} failed: ${attempt.reasonCode}: ${attempt.message}`);
  const willRollBack = policy.auto_rollback && prev !== null;
  try {
    await setStatus(deployment.id, {
      state: 'failure',
      description: statusDescription('failure', attempt.reasonCode, `${attempt.message}${willRollBack ? `; rolling back to ${shortSha(prev.sha)}` : ''}`),
    });
  } catch (err) {
    report.warnings.push(`could not set the failure status on deployment ${deployment.id}: ${errMsg(err)}`);
  }
  if (!policy.auto_rollback) report.rollbackSkipped = `auto_rollback is off for stage "${policy.name}"`;
  else if (!prev) report.rollbackSkipped = `there is no earlier verified deployment in "${inputs.environment}" to roll back to`;
  if (willRollBack) {
    report.rollback = await rollBack({ ...deps, workTrees: deps.workTrees ?? gitWorkTrees(deps.workspace) }, approved, { failed: deployment, previous: prev, runUrl: report.runUrl });
    if (report.rollback.succeeded) {
      report.result = 'rolled_back';
      log.warning(`stagegate: rolled back ${inputs.environment} to ${prev.sha}`);
    } else {
      report.reasonCode = 'rollback-failed';
      report.message = `${attempt.reasonCode}: ${attempt.message}; then the rollback to ${shortSha(prev.sha)} failed: ${report.rollback.message}`;
      log.error(`stagegate: ROLLBACK FAILED: ${inputs.environment} is in an unknown state: ${report.message}`);
    }
  }
  await comment(renderDeployReport(report));
}
