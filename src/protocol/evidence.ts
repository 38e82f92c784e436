import { parseRunName } from './dispatch.js';
import { parseDeploymentPayload, workflowPath, type PromotionPayload, type RollbackPayload } from './deployment-payload.js';
import { shortSha } from '../text.js';

/**
 * What makes a deployment status *evidence* that Stagegate's Action deployed and verified a
 * deployment, as opposed to a claim anyone with `deployments: write` can post. Shared by the gate
 * (`verified_in`), the Action (the rollback target) and the audit trail. Pure: the callers read
 * GitHub and hand the objects in.
 *
 * A `success` counts only when:
 * 1. the deployment is Stagegate's: created by the Stagegate app with a valid promotion payload
 *    for its own sha (dispatch mode), or a job deployment whose protection-rule request the app
 *    approved for that very workflow run (protection-rule mode, from the app's own records);
 * 2. the status links (log_url/target_url) to a workflow run of this repository that is a run of
 *    the configured deploy workflow on the protected ref, started by `workflow_dispatch`, and bound
 *    to the deployment (dispatch mode: its run name names this deployment, sha and environment;
 *    protection-rule mode: it is the run the app approved);
 * 3. that run completed with conclusion `success` (the job fails whenever the Action does not
 *    report success, so a successful run means the Action's verification passed).
 * The verification time is the later of the status's creation and the run's completion, so a
 * status posted early by someone else cannot shorten a soak period.
 */

/** The GitHub App account that owns `GITHUB_TOKEN` (statuses and job deployments of workflows). */
export const GITHUB_ACTIONS_APP_SLUG = 'github-actions';

/** An app as GitHub attributes an object to it (`performed_via_github_app`). */
export interface AppRef {
  id: number;
  slug?: string | null;
}

/** The deployment, as evidence needs it. */
export interface EvidenceDeployment {
  id: number;
  sha: string;
  environment: string;
  createdAt: string;
  payload: unknown;
  creator: string | null;
  performedViaApp: AppRef | null;
}

/** A deployment status, as evidence needs it. */
export interface EvidenceStatus {
  id: number;
  state: string;
  description: string | null;
  logUrl: string | null;
  targetUrl: string | null;
  createdAt: string;
  creator: string | null;
  performedViaApp: AppRef | null;
}

/** A workflow run, as evidence needs it. */
export interface EvidenceRun {
  id: number;
  /** `owner/name` of the repository the run belongs to. */
  repository: string;
  /** `.github/workflows/<file>`. */
  path: string;
  headBranch: string | null;
  headSha: string;
  event: string;
  status: string | null;
  conclusion: string | null;
  displayTitle: string | null;
  updatedAt: string;
  htmlUrl: string;
}

/** Who Stagegate is, and which workflow and ref are protected. */
export interface TrustPolicy {
  /** The Stagegate app: its id, or its slug (one of the two is enough). */
  app: { id: number | null; slug: string | null };
  /** `owner/name`. */
  repository: string;
  /**
   * The deploy workflow file name (`stagegate-deploy.yml`) or path (`.github/workflows/...`) and the
   * ref it runs on (the stage branch, or `deploy.ref`), for job deployments. A deployment the app
   * created names its own (its payload's `policy.workflow`), which wins.
   */
  workflow: string;
  ref: string;
}

/** Why a deployment is (or is not) Stagegate's. */
export type DeploymentOrigin =
  | { kind: 'app'; payload: PromotionPayload }
  | { kind: 'approved-job'; runId: number }
  /** A deployment the Action created to roll back `payload.rollback_of`: it tells what runs, never that anything was verified. */
  | { kind: 'rollback'; payload: RollbackPayload }
  | { kind: 'foreign'; why: string };

/** The verdict on one deployment's verification. */
export type VerificationVerdict =
  /** Deployed and verified by the protected workflow, at `verifiedAt`. */
  | { kind: 'verified'; status: EvidenceStatus; run: EvidenceRun; verifiedAt: string }
  /** Not finished: no final status yet, or the run that reported success is still running. */
  | { kind: 'pending'; why: string }
  /** The deployment's newest word is a failure, an error or inactive. */
  | { kind: 'failed'; state: string; why: string }
  /** A success that is not evidence (named). */
  | { kind: 'untrusted'; why: string };

/** Whether `app` is the Stagegate app of the policy. */
export function isStagegateApp(app: AppRef | null, policy: TrustPolicy): boolean {
  if (!app) return false;
  if (policy.app.id !== null && app.id === policy.app.id) return true;
  return policy.app.slug !== null && (app.slug ?? '').toLowerCase() === policy.app.slug.toLowerCase();
}

/**
 * Where a deployment comes from. `approvedRunOf` answers, from the app's own records, which run's
 * protection-rule request the app approved for a job deployment (null when none).
 */
export function deploymentOrigin(d: EvidenceDeployment, policy: TrustPolicy, approvedRunOf: (deploymentId: number) => number | null = () => null): DeploymentOrigin {
  if (isStagegateApp(d.performedViaApp, policy)) {
    const p = parseDeploymentPayload(d.payload);
    if (p.kind !== 'promotion')
      return { kind: 'foreign', why: `deployment ${d.id} was created by the Stagegate app but its payload is ${p.kind === 'invalid' ? `invalid (${p.why})` : 'not a promotion'}` };
    if (p.payload.merge_commit !== d.sha.toLowerCase()) return { kind: 'foreign', why: `deployment ${d.id} is for ${shortSha(d.sha)}, its payload for ${shortSha(p.payload.merge_commit)}` };
    return { kind: 'app', payload: p.payload };
  }
  const run = approvedRunOf(d.id);
  if (run !== null) return { kind: 'approved-job', runId: run };
  const p = parseDeploymentPayload(d.payload);
  if (p.kind === 'rollback') return { kind: 'rollback', payload: p.payload };
  const who = d.performedViaApp?.slug ? `the ${d.performedViaApp.slug} app${d.creator ? ` (${d.creator})` : ''}` : d.creator ? d.creator : 'an unknown account';
  return { kind: 'foreign', why: `deployment ${d.id} was created by ${who}, not by the Stagegate app` };
}

/** The run id a status links to (`…/<owner>/<repo>/actions/runs/<id>[/job/<n>|/attempts/<n>]`), in this repository; null otherwise. */
export function runIdOf(s: Pick<EvidenceStatus, 'logUrl' | 'targetUrl'>, repository: string): number | null {
  for (const url of [s.logUrl, s.targetUrl]) {
    if (!url) continue;
    let path: string;
    try {
      path = new URL(url).pathname;
    } catch {
      continue;
    }
    const m = /^\/(?:api\/v3\/repos\/)?([^/]+)\/([^/]+)\/actions\/runs\/(\d+)(?:\/.*)?$/.exec(path);
    if (!m || `${m[1]}/${m[2]}`.toLowerCase() !== repository.toLowerCase()) continue;
    const id = Number(m[3]);
    if (Number.isSafeInteger(id) && id > 0) return id;
  }
  return null;
}

/** Statuses newest first (by time, then id). */
export function newestFirst<T extends { id: number; createdAt: string }>(statuses: readonly T[]): T[] {
  return [...statuses].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || b.id - a.id);
}

const WAITING = new Set(['queued', 'pending', 'in_progress']);

/**
 * The status a verdict rests on: the newest one that is not `inactive`. GitHub adds `inactive` to
 * earlier deployments whenever a newer one in the environment gets a success (`auto_inactive`),
 * also when someone posts that success on a deployment of their own: being superseded is not a
 * failure, and what runs now is decided by which deployment is newest, not by `inactive`. A newer
 * failure or error beats an older success; a newer queued/in_progress means a run is under way.
 */
export function decisiveStatus(statuses: readonly EvidenceStatus[]): EvidenceStatus | null {
  return newestFirst(statuses).find((s) => s.state !== 'inactive') ?? null;
}

/** Why a run is not the protected deploy run of a deployment, or null when it is. */
export function runMismatch(run: EvidenceRun, d: EvidenceDeployment, origin: Exclude<DeploymentOrigin, { kind: 'foreign' | 'rollback' }>, policy: TrustPolicy): string | null {
  const where = `run ${run.id}`;
  // A deployment the app created names its protected workflow itself; a job deployment answers to the policy's.
  const path = origin.kind === 'app' ? origin.payload.policy.workflow.path : workflowPath(policy.workflow);
  const ref = origin.kind === 'app' ? origin.payload.policy.workflow.ref : policy.ref;
  if (run.repository.toLowerCase() !== policy.repository.toLowerCase()) return `${where} belongs to ${run.repository}`;
  if (run.path !== path) return `${where} is a run of ${run.path}, not of the deploy workflow ${path}`;
  if (run.headBranch !== ref) return `${where} ran on ${run.headBranch ?? 'no branch'}, not on the protected ${ref}`;
  if (origin.kind === 'approved-job') {
    if (run.id !== origin.runId) return `${where} is not the run the app approved for deployment ${d.id} (run ${origin.runId})`;
    if (run.headSha.toLowerCase() !== d.sha.toLowerCase()) return `${where} ran ${shortSha(run.headSha)}, not the deployment's ${shortSha(d.sha)}`;
    return null;
  }
  if (run.event !== 'workflow_dispatch') return `${where} was triggered by ${run.event}, not by the app’s workflow_dispatch`;
  const named = parseRunName(run.displayTitle);
  if (!named) return `${where} is named "${run.displayTitle ?? ''}", which names no Stagegate deployment (the workflow needs the documented run-name)`;
  if (named.deploymentId !== d.id || named.sha !== d.sha.toLowerCase() || named.environment !== d.environment) {
    return `${where} deployed ${shortSha(named.sha)} to ${named.environment} (deployment ${named.deploymentId ?? '?'}), not deployment ${d.id}`;
  }
  return null;
}

/**
 * Judges one deployment's verification from its statuses and, when its newest word is a success,
 * the workflow run that success links to (`run`: the run read from GitHub, null when it does not
 * exist; `undefined` when the caller has not read it — call {@link runIdOf} and read it first).
 */
export function judgeVerification(d: EvidenceDeployment, origin: DeploymentOrigin, statuses: readonly EvidenceStatus[], run: EvidenceRun | null | undefined, policy: TrustPolicy): VerificationVerdict {
  if (origin.kind === 'foreign') return { kind: 'untrusted', why: origin.why };
  if (origin.kind === 'rollback')
    return { kind: 'untrusted', why: `deployment ${d.id} is a rollback of deployment ${origin.payload.rollback_of}: a rollback redeploys a verified commit, it verifies nothing` };
  const newest = decisiveStatus(statuses);
  if (!newest) return { kind: 'pending', why: `deployment ${d.id} has no status yet` };
  if (WAITING.has(newest.state)) return { kind: 'pending', why: `deployment ${d.id} is ${newest.state.replace('_', ' ')}` };
  if (newest.state !== 'success') return { kind: 'failed', state: newest.state, why: `deployment ${d.id} ended ${newest.state}${newest.description ? ` ("${newest.description}")` : ''}` };
  const runId = runIdOf(newest, policy.repository);
  if (runId === null) return { kind: 'untrusted', why: `the success of deployment ${d.id} links to no workflow run of ${policy.repository}` };
  if (run === undefined) throw new Error(`judgeVerification: run ${runId} was not read`);
  if (run === null || run.id !== runId) return { kind: 'untrusted', why: `the success of deployment ${d.id} links to run ${runId}, which does not exist` };
  const mismatch = runMismatch(run, d, origin, policy);
  if (mismatch) return { kind: 'untrusted', why: `the success of deployment ${d.id} is not from the protected deploy workflow: ${mismatch}` };
  if (run.status !== 'completed') return { kind: 'pending', why: `the verification run ${run.id} of deployment ${d.id} is still ${run.status ?? 'running'}` };
  if (run.conclusion !== 'success')
    return { kind: 'untrusted', why: `the success of deployment ${d.id} is contradicted by its run ${run.id}, which concluded ${run.conclusion ?? 'without a conclusion'}` };
  const verifiedAt = new Date(Math.max(Date.parse(newest.createdAt), Date.parse(run.updatedAt) || 0)).toISOString();
  return { kind: 'verified', status: newest, run, verifiedAt };
}
