/**
 * What the app sends when it dispatches the deploy workflow, and how a run of it names itself.
 * The run name (`run-name:` in the documented workflow) makes a run identifiable through the API:
 * the app finds the run of a deployment after an ambiguous dispatch error, and the gate binds a
 * verification to the run that produced it (./evidence.ts).
 */

/** The `workflow_dispatch` inputs of the deploy workflow (names use underscores). */
export type DispatchInputs = {
  environment: string;
  sha: string;
  /** Empty in protection-rule mode: GitHub creates the deployment when the job starts. */
  deployment_id: string;
  pull_request: string;
};

/** The inputs for one deployment. */
export function dispatchInputs(p: { environment: string; sha: string; deploymentId: number | null; pullRequest: number }): DispatchInputs {
  return { environment: p.environment, sha: p.sha, deployment_id: p.deploymentId === null ? '' : String(p.deploymentId), pull_request: String(p.pullRequest) };
}

/** The `run-name:` line of the documented deploy workflow (dispatch mode). */
export const RUN_NAME_EXPRESSION = 'stagegate: deploy ${{ inputs.sha }} to ${{ inputs.environment }} (deployment ${{ inputs.deployment_id }})';

/** The `run-name:` line of the documented deploy workflow in protection-rule mode (no deployment id yet). */
export const RUN_NAME_EXPRESSION_PROTECTED = 'stagegate: deploy ${{ inputs.sha }} to ${{ inputs.environment }}';

/** The run name a dispatch with these inputs gets from the documented workflow. */
export function runName(p: { environment: string; sha: string; deploymentId: number | null }): string {
  return p.deploymentId === null ? `stagegate: deploy ${p.sha} to ${p.environment}` : `stagegate: deploy ${p.sha} to ${p.environment} (deployment ${p.deploymentId})`;
}

/** What a run's name (its `display_title`) says it deploys, or null when it is not a Stagegate run name. */
export function parseRunName(displayTitle: string | null | undefined): { sha: string; environment: string; deploymentId: number | null } | null {
  const m = /^stagegate: deploy ([0-9a-f]{40}) to (\S+?)(?: \(deployment (\d*)\))?$/.exec((displayTitle ?? '').trim());
  if (!m) return null;
  const id = m[3] ? Number(m[3]) : null;
  return { sha: m[1]!, environment: m[2]!, deploymentId: id !== null && Number.isSafeInteger(id) && id > 0 ? id : null };
}
