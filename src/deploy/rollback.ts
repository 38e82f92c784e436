import type { RollbackPayload } from '../protocol/deployment-payload.js';
import { rollbackSucceededDescription, statusDescription, fitDescription } from '../protocol/status.js';
import { deployAndVerify, type AttemptDeps } from './attempt.js';
import type { DeployGitHub, DeploymentInfo, DeploymentState, StatusInput } from './github.js';
import type { Approved } from './preflight.js';
import type { RollbackReport } from './types.js';
import type { WorkTrees } from './worktree.js';
import { shortSha } from '../text.js';

const errMsg = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** What a rollback needs. */
export interface RollbackDeps extends AttemptDeps {
  github: DeployGitHub;
  workTrees: WorkTrees;
}

/**
 * Rolls back to the previous verified deployment's commit as a NEW deployment (protocol rollback
 * payload), so the newest deployment in an environment always tells what runs. The rollback
 * target's own code runs: its commit is checked out into a work tree of its own, where the stage's
 * `rollback.command` (default: `deploy.command`) and the smoke tests run. Metric checks are not
 * repeated (the target was verified when it was deployed).
 */
export async function rollBack(deps: RollbackDeps, approved: Approved, r: { failed: DeploymentInfo; previous: DeploymentInfo; runUrl: string | null }): Promise<RollbackReport> {
  const { github: gh, log } = deps;
  const policy = approved.policy;
  const base: RollbackReport = { fromSha: r.failed.sha, toSha: r.previous.sha, previousDeploymentId: r.previous.id, attempt: null, succeeded: false, message: '' };
  log.info(`stagegate: rolling back ${policy.name} from ${shortSha(r.failed.sha)} to ${shortSha(r.previous.sha)} (deployment ${r.previous.id})`);
  const payload: RollbackPayload = { stagegate: 1, kind: 'rollback', stage: policy.name, pull_request: approved.pullRequest, rollback_of: r.failed.id, target_deployment: r.previous.id };
  let created: DeploymentInfo;
  try {
    created = await gh.createDeployment({ ref: r.previous.sha, environment: policy.name, payload: { ...payload }, description: `Stagegate rollback of deployment ${r.failed.id}` });
  } catch (err) {
    return { ...base, message: `could not create the rollback deployment: ${errMsg(err)}` };
  }
  const status = async (state: DeploymentState, description: string, extra: Partial<StatusInput> = {}): Promise<string | null> => {
    try {
      await gh.createStatus(created.id, { state, description: fitDescription(description), ...(r.runUrl ? { logUrl: r.runUrl } : {}), ...extra });
      return null;
    } catch (err) {
      return errMsg(err);
    }
  };
  const inProgressError = await status('in_progress', `in_progress: rolling back to ${shortSha(r.previous.sha)}`);
  if (inProgressError) log.warning(`stagegate: could not mark rollback deployment ${created.id} in_progress: ${inProgressError}`);

  let workTree: string;
  try {
    workTree = await deps.workTrees.checkout(r.previous.sha);
  } catch (err) {
    const msg = `could not check out the rollback target ${r.previous.sha.slice(0, 12)}: ${errMsg(err)}`;
    const e = await status('failure', statusDescription('failure', 'rollback-failed', msg));
    return { ...base, message: e ? `${msg} (and its failure status could not be recorded: ${e})` : msg };
  }
  try {
    const attempt = await deployAndVerify(deps, policy, {
      deploymentId: created.id,
      sha: r.previous.sha,
      previousSha: r.failed.sha,
      pullRequest: approved.pullRequest,
      rollbackOf: r.failed.id,
      workTree,
      command: policy.rollback?.command ?? policy.deploy.command,
      timeout: policy.rollback?.timeout ?? policy.deploy.timeout,
      withMetrics: false,
    });
    if (attempt.reasonCode === 'ok') {
      const err = await status('success', rollbackSucceededDescription(r.failed.id, r.previous.sha), policy.deploy.url ? { environmentUrl: policy.deploy.url } : {});
      if (err) return { ...base, attempt, message: `the rollback deployed and passed its smoke tests, but its success status could not be recorded: ${err}` };
      return { ...base, attempt, succeeded: true, message: attempt.message };
    }
    const err = await status('failure', statusDescription('failure', 'rollback-failed', `${attempt.reasonCode}: ${attempt.message}`));
    const msg = `${attempt.reasonCode}: ${attempt.message}`;
    return { ...base, attempt, message: err ? `${msg} (and its failure status could not be recorded: ${err})` : msg };
  } finally {
    await deps.workTrees.remove(workTree);
  }
}
