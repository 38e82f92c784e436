import { decisiveStatus, deploymentOrigin, GITHUB_ACTIONS_APP_SLUG, judgeVerification, runIdOf, type EvidenceRun, type TrustPolicy, type VerificationVerdict } from '../protocol/evidence.js';
import type { DeployGitHub, DeploymentInfo } from './github.js';

/** The reads the verdict and the previous-verified search need (the Action's port, or the app's adapter). */
export type DeploymentReads = Pick<DeployGitHub, 'listDeployments' | 'listStatuses' | 'getRun'>;

/** How many earlier deployments are examined when looking for the previous verified one. */
export const PREVIOUS_SEARCH_LIMIT = 30;

/** An earlier deployment that is not a rollback target, and why (for the log and the report). */
export interface SkippedDeployment {
  id: number;
  sha: string;
  why: string;
}

/** The rollback target, and what was passed over on the way. */
export interface PreviousSearch {
  previous: DeploymentInfo | null;
  skipped: SkippedDeployment[];
}

/**
 * The verdict on one deployment's verification, read from GitHub: its origin (Stagegate's app, or
 * a job deployment of a run of the protected workflow in protection-rule mode), its statuses, and
 * the run its success links to.
 */
export async function verdictOf(gh: DeploymentReads, d: DeploymentInfo, trust: TrustPolicy, mode: 'dispatch' | 'protection_rule'): Promise<VerificationVerdict> {
  const statuses = await gh.listStatuses(d.id);
  // In protection-rule mode every job deployment in the environment needed the app's approval to
  // run at all; its run is the one GitHub's own statuses link to.
  const jobRun = mode === 'protection_rule' && d.performedViaApp?.slug === GITHUB_ACTIONS_APP_SLUG ? (statuses.map((s) => runIdOf(s, trust.repository)).find((id) => id !== null) ?? null) : null;
  const origin = deploymentOrigin(d, trust, (id) => (id === d.id ? jobRun : null));
  const decisive = decisiveStatus(statuses);
  const runId = decisive?.state === 'success' ? runIdOf(decisive, trust.repository) : null;
  const run: EvidenceRun | null | undefined = runId === null ? undefined : await gh.getRun(runId);
  return judgeVerification(d, origin, statuses, run, trust);
}

/** How many earlier deployments are judged at once after the newest (which usually is the one). */
export const PREVIOUS_SEARCH_CHUNK = 4;

/**
 * The rollback target: the newest deployment in `environment` created before `current` that
 * Stagegate deployed and verified (evidence, not a status string: see src/protocol/evidence.ts).
 * Rollback deployments, foreign deployments and unverified ones are passed over, and listed.
 * `listing` is the environment's deployments as already read (newest first, as `listDeployments`
 * returns them); without it they are listed here. The newest candidate is judged first, then the
 * others a few at a time, always taken in order: the first verified one wins, and a read that
 * failed before it is reached fails the search, as a one-by-one search would.
 */
export async function findPreviousVerified(
  gh: DeploymentReads,
  current: DeploymentInfo,
  trust: TrustPolicy,
  mode: 'dispatch' | 'protection_rule',
  listing?: DeploymentInfo[],
): Promise<PreviousSearch> {
  const list = listing ?? (await gh.listDeployments(current.environment, 100));
  const t = Date.parse(current.createdAt);
  const earlier = list
    .filter((d) => d.id !== current.id && d.environment === current.environment)
    .filter((d) => {
      const dt = Date.parse(d.createdAt);
      return dt < t || (dt === t && d.id < current.id);
    })
    .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || b.id - a.id)
    .slice(0, PREVIOUS_SEARCH_LIMIT);
  const skipped: SkippedDeployment[] = [];
  for (let i = 0; i < earlier.length;) {
    const chunk = earlier.slice(i, i === 0 ? 1 : i + PREVIOUS_SEARCH_CHUNK);
    i += chunk.length;
    const verdicts = await Promise.allSettled(chunk.map((d) => verdictOf(gh, d, trust, mode)));
    for (const [k, d] of chunk.entries()) {
      const v = verdicts[k]!;
      if (v.status === 'rejected') throw v.reason;
      if (v.value.kind === 'verified') return { previous: d, skipped };
      skipped.push({ id: d.id, sha: d.sha, why: v.value.why });
    }
  }
  return { previous: null, skipped };
}
