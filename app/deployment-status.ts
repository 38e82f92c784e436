import type { AuditEventInput } from '../src/audit/types.js';
import type { GitHubRequester } from '../src/github/client.js';
import { createGitHubFacts } from '../src/github/facts.js';
import { parseDeploymentPayload } from '../src/protocol/deployment-payload.js';
import { decisiveStatus, deploymentOrigin, judgeVerification, runIdOf, runMismatch, type EvidenceDeployment, type TrustPolicy, type VerificationVerdict } from '../src/protocol/evidence.js';
import { parseStatusDescription, REASON_CODES, type ReasonCode } from '../src/protocol/status.js';
import { verificationValues, type VerificationValues } from '../src/protocol/verification-values.js';
import { approvedRunLookup } from './gate-runner.js';
import type { AppDeps } from './deps.js';

type AppJson = { id: number; slug?: string } | null | undefined;

/** The parts of a `deployment_status` webhook the audit trail needs. */
export interface DeploymentStatusEvent {
  repository: string;
  deployment: { id: number; sha: string; ref?: string; environment: string; created_at?: string; payload: unknown; creator: { login: string } | null; performed_via_github_app?: AppJson };
  status: {
    id: number;
    state: string;
    description: string | null;
    log_url?: string | null;
    target_url?: string | null;
    environment_url?: string | null;
    creator: { login: string } | null;
    performed_via_github_app?: AppJson;
    created_at: string;
  };
}

const FINAL = new Set(['success', 'failure', 'error']);
/** Reason codes the Action ends a run with when it refuses to deploy (nothing ran). */
const REFUSALS = new Set<ReasonCode>(['input-invalid', 'deployment-not-found', 'not-approved', 'payload-invalid', 'promotion-mismatch', 'already-deployed', 'sha-mismatch', 'config-invalid']);

/** A verdict, with the values of its run's checks where the run is the protected one (src/protocol/verification-values.ts). */
export type JudgedVerdict = VerificationVerdict & {
  values?: VerificationValues;
  /** A failure's run, when it is the deployment's protected deploy run (a success names its run in the verdict). */
  failedRunUrl?: string;
};

const appRef = (a: AppJson) => (a ? { id: a.id, slug: a.slug ?? null } : null);

function evidenceDeployment(e: DeploymentStatusEvent): EvidenceDeployment {
  const d = e.deployment;
  return {
    id: d.id,
    sha: d.sha,
    environment: d.environment,
    createdAt: d.created_at ?? '',
    payload: d.payload,
    creator: d.creator?.login ?? null,
    performedViaApp: appRef(d.performed_via_github_app),
  };
}

function payloadFields(e: DeploymentStatusEvent): { stage?: string; pullRequest: number | null; base: string | null; head: string | null; rollbackOf?: number } {
  const p = parseDeploymentPayload(e.deployment.payload);
  if (p.kind === 'promotion') return { stage: p.payload.stage, pullRequest: p.payload.pull_request, base: p.payload.base, head: p.payload.head };
  if (p.kind === 'rollback') return { stage: p.payload.stage, pullRequest: p.payload.pull_request, base: null, head: null, rollbackOf: p.payload.rollback_of };
  return { pullRequest: null, base: null, head: null };
}

/**
 * The audit records of one deployment status: the status itself (with who wrote it); for an `error`
 * the Action wrote when it refused to deploy, the refusal; for a rollback deployment, the rollback;
 * for a final status of any other deployment, the verification result — judged by provenance
 * (`verdict`), never by the description alone: a success that is not evidence is recorded as
 * `untrusted`, naming why. `verdict` null means the verdict is not final yet (its run is still
 * running): the verification is recorded when the run completes. Keys are natural (deployment and
 * status ids): replays append nothing.
 */
export function deploymentStatusRecords(e: DeploymentStatusEvent, verdict: JudgedVerdict | null): AuditEventInput[] {
  const p = payloadFields(e);
  const repository = e.repository;
  const common = {
    repository,
    stage: p.stage ?? e.deployment.environment,
    pullRequest: p.pullRequest,
    baseSha: p.base,
    headSha: p.head ?? e.deployment.sha,
    actor: e.status.creator?.login ?? null,
    at: e.status.created_at,
  };
  const id = e.deployment.id;
  const out: AuditEventInput[] = [
    {
      ...common,
      key: `deployment:${repository}:${id}:status:${e.status.id}`,
      kind: 'deployment.status',
      details: {
        deploymentId: id,
        statusId: e.status.id,
        state: e.status.state,
        description: e.status.description,
        logUrl: e.status.log_url ?? e.status.target_url ?? null,
        environmentUrl: e.status.environment_url ?? null,
        creator: e.status.creator?.login ?? null,
        performedViaApp: e.status.performed_via_github_app?.slug ?? null,
      },
    },
  ];
  if (!FINAL.has(e.status.state)) return out;
  const parsed = parseStatusDescription(e.status.description);
  if (e.status.state === 'error' && parsed && REFUSALS.has(parsed.code)) {
    out.push({
      ...common,
      key: `deployment:${repository}:${id}:refused:${e.status.id}`,
      kind: 'deploy.refused',
      details: {
        deploymentId: id,
        sha: e.deployment.sha,
        reasonCode: parsed.code,
        description: e.status.description ?? '',
        creator: e.status.creator?.login ?? null,
        deploymentCreator: e.deployment.creator?.login ?? null,
        meaning: REASON_CODES[parsed.code],
      },
    });
    return out;
  }
  if (p.rollbackOf !== undefined) {
    out.push({
      ...common,
      key: `deployment:${repository}:${p.rollbackOf}:rollback:${id}`,
      kind: 'rollback',
      details: { deploymentId: p.rollbackOf, rollbackDeploymentId: id, sha: e.deployment.sha, state: e.status.state },
    });
    return out;
  }
  if (!verdict || verdict.kind === 'pending') return out;
  const runId = runIdOf({ logUrl: e.status.log_url ?? null, targetUrl: e.status.target_url ?? null }, repository);
  const values = verdict.values ? (verdict.values.kind === 'recorded' ? { checks: verdict.values.checks } : { checks: [], valuesWhy: verdict.values.why }) : {};
  const base = { deploymentId: id, description: e.status.description ?? '', runId, ...values };
  let details: Record<string, unknown>;
  if (verdict.kind === 'verified') details = { ...base, result: 'success', reasonCode: parsed?.code ?? 'ok', trusted: true, why: `verified by run ${verdict.run.id}`, runUrl: verdict.run.htmlUrl };
  else if (verdict.kind === 'untrusted') details = { ...base, result: 'untrusted', reasonCode: parsed?.code ?? null, trusted: false, why: verdict.why };
  else
    details = {
      ...base,
      result: parsed?.result === 'rolled_back' ? 'rolled_back' : 'failure',
      reasonCode: parsed?.code ?? 'unknown',
      trusted: true,
      why: verdict.why,
      runUrl: verdict.failedRunUrl ?? null,
    };
  out.push({ ...common, key: `deployment:${repository}:${id}:verification:${e.status.id}`, kind: 'verification.result', details });
  return out;
}

/**
 * Judges a deployment's verification from GitHub (statuses, the run its success links to) and the
 * app's own records; a final verdict carries its run's check values, read from the statuses that run
 * wrote (a failure's run is read too, and must be the protected deploy run of the deployment).
 */
export async function judgeDeployment(deps: AppDeps, client: GitHubRequester, e: Pick<DeploymentStatusEvent, 'repository' | 'deployment'>): Promise<JudgedVerdict> {
  const [owner, repo] = e.repository.split('/') as [string, string];
  const self = await deps.self();
  const d = evidenceDeployment({ ...e, status: { id: 0, state: '', description: null, creator: null, created_at: '' } });
  const approvedRun = await approvedRunLookup(deps, e.repository)(d.id);
  const approval = approvedRun !== null ? await deps.store.findByKey(`protection:${e.repository}:${d.id}:approved`) : null;
  const trust: TrustPolicy = {
    app: { id: self.id, slug: self.slug },
    repository: e.repository,
    workflow: typeof approval?.details.workflow === 'string' ? approval.details.workflow : '',
    ref: typeof approval?.details.ref === 'string' ? approval.details.ref : '',
  };
  const origin = deploymentOrigin(d, trust, (id) => (id === d.id ? approvedRun : null));
  const facts = createGitHubFacts({ client, owner, repo, pullNumber: 0 });
  const statuses = await facts.deploymentStatuses(d.id);
  if (!statuses.complete) return { kind: 'untrusted', why: statuses.reason };
  const decisive = decisiveStatus(statuses.items);
  const runId = decisive?.state === 'success' ? runIdOf(decisive, e.repository) : null;
  const run = runId === null ? undefined : await facts.workflowRun(runId);
  const verdict = judgeVerification(d, origin, statuses.items, run, trust);
  if (verdict.kind === 'verified') return { ...verdict, values: verificationValues(statuses.items, { runId: verdict.run.id, completedAt: verdict.run.updatedAt, repository: e.repository }) };
  if (verdict.kind !== 'failed' || !decisive || (origin.kind !== 'app' && origin.kind !== 'approved-job')) return verdict;
  // A failure is final as soon as it is posted (its run may still be finishing): the values are those
  // its run wrote before the failure status, when that run is the deployment's protected deploy run.
  const failedRunId = runIdOf(decisive, e.repository);
  if (failedRunId === null) return { ...verdict, values: { kind: 'absent', why: `the failure status of deployment ${d.id} links to no workflow run` } };
  const failedRun = await facts.workflowRun(failedRunId);
  const mismatch = failedRun ? runMismatch(failedRun, d, origin, trust) : `run ${failedRunId} does not exist`;
  if (!failedRun || mismatch) return { ...verdict, values: { kind: 'absent', why: `the failure of deployment ${d.id} is not from its protected deploy run: ${mismatch}` } };
  const until = failedRun.status === 'completed' ? failedRun.updatedAt : decisive.createdAt;
  return { ...verdict, failedRunUrl: failedRun.htmlUrl, values: verificationValues(statuses.items, { runId: failedRun.id, completedAt: until, repository: e.repository }) };
}

/** Records a deployment status in the audit trail (judging a final one's provenance first). */
export async function recordDeploymentStatus(deps: AppDeps, client: GitHubRequester, e: DeploymentStatusEvent): Promise<number> {
  const verdict = FINAL.has(e.status.state) ? await judgeDeployment(deps, client, e) : null;
  let appended = 0;
  for (const r of deploymentStatusRecords(e, verdict)) if ((await deps.store.append(r)).appended) appended++;
  return appended;
}
