import type { AuditEventInput } from '../src/audit/types.js';
import type { AppDeps } from './deps.js';

/** The parts of a `deployment_status` webhook the audit trail needs. */
export interface DeploymentStatusEvent {
  repository: string;
  deployment: { id: number; sha: string; environment: string; payload: unknown; creator: { login: string } | null };
  status: {
    id: number;
    state: string;
    description: string | null;
    log_url?: string | null;
    target_url?: string | null;
    environment_url?: string | null;
    creator: { login: string } | null;
    created_at: string;
  };
}

const FINAL = new Set(['success', 'failure', 'error']);
const RESULT = /^(success|failure|rolled_back|error)\s*:\s*([a-z0-9-]+)/i;

function payloadOf(d: DeploymentStatusEvent['deployment']): { stage?: string; pull_request?: number; base?: string; head?: string; rollback_of?: number } {
  const p = d.payload;
  if (p && typeof p === 'object' && !Array.isArray(p)) return p as Record<string, never>;
  if (typeof p === 'string') {
    try {
      return JSON.parse(p) as Record<string, never>;
    } catch {
      return {};
    }
  }
  return {};
}

/**
 * The audit records of one deployment status: the status itself; for a final status, the
 * verification result the Action reported in its description; for a rollback deployment, the
 * rollback. Keys are natural (deployment and status ids): replays append nothing.
 */
export function deploymentStatusRecords(e: DeploymentStatusEvent): AuditEventInput[] {
  const p = payloadOf(e.deployment);
  const repository = e.repository;
  const common = {
    repository,
    stage: p.stage ?? e.deployment.environment,
    pullRequest: typeof p.pull_request === 'number' ? p.pull_request : p.pull_request ? Number(p.pull_request) : null,
    baseSha: p.base ?? null,
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
      },
    },
  ];
  if (!FINAL.has(e.status.state)) return out;
  const m = RESULT.exec(e.status.description ?? '');
  if (p.rollback_of !== undefined) {
    out.push({
      ...common,
      key: `deployment:${repository}:${p.rollback_of}:rollback:${id}`,
      kind: 'rollback',
      details: { deploymentId: Number(p.rollback_of), rollbackDeploymentId: id, sha: e.deployment.sha, state: e.status.state },
    });
    return out;
  }
  out.push({
    ...common,
    key: `deployment:${repository}:${id}:verification`,
    kind: 'verification.result',
    details: {
      deploymentId: id,
      result: e.status.state === 'success' ? 'success' : (m?.[1]?.toLowerCase() ?? 'failure') === 'rolled_back' ? 'rolled_back' : 'failure',
      reasonCode: m?.[2] ?? (e.status.state === 'success' ? 'deployed' : 'unknown'),
      description: e.status.description,
    },
  });
  return out;
}

/** Records a deployment status in the audit trail. */
export async function recordDeploymentStatus(deps: AppDeps, e: DeploymentStatusEvent): Promise<number> {
  let appended = 0;
  for (const r of deploymentStatusRecords(e)) if ((await deps.store.append(r)).appended) appended++;
  return appended;
}
